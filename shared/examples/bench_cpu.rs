//! CPU cost of the domain functions an availability read and a receive run, native
//! release build (the Worker runs the same code compiled to wasm). Run by
//! `cargo xtask bench`; prints JSON on stdout, a summary on stderr.

use std::hint::black_box;
use std::time::Instant;

use restock_shared::wire::AvailabilityView;
use restock_shared::{
    Date, IncomingPo, Policy, ProductSettings, ProductState, QueuedOrder, ReleaseRules, ShopId, ShopRules, Sku, Stock,
    Timestamp, allocate, availability, plan_wave, project,
};
use serde_json::{Value, json};

/// Best of 5 batches of `iterations` calls, in nanoseconds per call.
fn time(what: &str, iterations: u32, f: &mut dyn FnMut()) -> Value {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..iterations {
            f();
        }
        best = best.min(t.elapsed().as_nanos() as f64 / f64::from(iterations));
    }
    eprintln!("  {what}: {best:.0} ns");
    json!({ "what": what, "ns_per_call": best.round() })
}

fn main() {
    let today = Date::from_days(20_415);
    let settings = ProductSettings { policy: Policy::Backorder { cap: Some(500) }, ..ProductSettings::default() };
    let incoming: Vec<IncomingPo> =
        (0..3).map(|i| IncomingPo { quantity: 40 + i, expected: Date::from_days(20_425 + 10 * i as i32) }).collect();
    let rules = ShopRules { handling_days: 1 };
    let queue: Vec<QueuedOrder<u32>> = (0..1000)
        .map(|i| QueuedOrder { id: i, quantity: 1 + i % 3, allocated: 0, placed_on: today, promised: None })
        .collect();
    let state =
        ProductState { settings: &settings, stock: Stock { on_hand: 0, held: 0 }, queued: 120, incoming: &incoming };
    let rows = vec![
        time("parse shop id + SKU", 1_000_000, &mut || {
            black_box(ShopId::parse(black_box("northwind")).is_ok() && Sku::parse(black_box("TEE-ORG-M")).is_ok());
        }),
        time("availability (backorder, 3 incoming POs)", 1_000_000, &mut || {
            black_box(availability(black_box(&state), &rules, today));
        }),
        time("availability → response JSON (the read path's domain work)", 200_000, &mut || {
            let a = availability(black_box(&state), &rules, today);
            let view = AvailabilityView::new("TEE-ORG-M", "Organic tee, M", &a);
            black_box(serde_json::to_string(&view).map(|s| s.len()).unwrap_or(0));
        }),
        time("allocate 200 units over 1,000 queued orders", 5_000, &mut || {
            black_box(allocate(black_box(&queue), 200));
        }),
        time("project ETAs for 1,000 queued orders", 5_000, &mut || {
            black_box(project(black_box(&queue), &state.supply(&rules, today)).len());
        }),
        time("plan a waitlist wave", 1_000_000, &mut || {
            black_box(plan_wave(
                black_box(40),
                10_000,
                &ReleaseRules::default(),
                Timestamp::from_millis(1_800_000_000_000),
            ));
        }),
    ];
    println!("{}", Value::Array(rows));
}
