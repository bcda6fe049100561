//! `cargo xtask bench [--quick]`: measures what users feel and what operators pay, on
//! this machine, and writes `docs/benchmarks.md` and `docs/benchmarks.json`.
//!
//! - widget (`bench/widget.rs`): what a page downloads (raw/gzip/brotli), what each part
//!   of the wasm costs (twiggy), and DOMContentLoaded → first rendered status in headless
//!   Chromium (3 runs of 20 loads: foreign origin warm and cold, same origin);
//! - reads: availability requests/s and p50/p99 with wrk at several concurrencies,
//!   side by side with a baseline Worker that only returns a KV value (`bench/baseline/`),
//!   and the batch endpoint with 1, 10 and 50 SKUs;
//! - writes: waitlist signups/s and backorders/s, then the cap invariant checked;
//! - fan-out: a release to 1,000, 10,000 and 100,000 subscribers, from the receive call
//!   until every email is in the outbox;
//! - CPU: a native micro-benchmark of the domain functions the availability path runs.
//!
//! Not part of `cargo xtask test`: timings vary with the machine, so nothing here is a
//! pass/fail budget (sizes are checked in the tests instead).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use restock_e2e::client::{Client, Shop};
use restock_e2e::server::{
    DevServer, free_port, kill_group, repo_root, seed_waitlist, start_own, wrangler, wrangler_dev,
};
use restock_e2e::sizes::{self, Sizes};
use serde_json::{Value, json};

use crate::tools::{self, Need};
use crate::{build, step};

mod widget;

/// How long each wrk run lasts.
fn duration(quick: bool) -> &'static str {
    if quick { "3s" } else { "10s" }
}

/// The report's sections, in the order they run.
const SECTIONS: [&str; 6] = ["widget", "reads", "writes", "fanout", "scale", "cpu"];

/// `cargo xtask bench [--quick] [section ...]`: every section into a new report, or
/// only the named ones, merged into the last report (`docs/benchmarks.json`);
/// `--markdown` writes docs/benchmarks.md from that report and measures nothing.
pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--markdown") {
        // docs/benchmarks.md again from docs/benchmarks.json, measuring nothing.
        let root = repo_root();
        let md = markdown(&last_report()?);
        return std::fs::write(root.join("docs/benchmarks.md"), md).map_err(|e| format!("docs/benchmarks.md: {e}"));
    }
    let quick = args.iter().any(|a| a == "--quick");
    let named: Vec<&str> = args.iter().map(String::as_str).filter(|a| !a.starts_with("--")).collect();
    if let Some(bad) = named.iter().find(|n| !SECTIONS.contains(n)) {
        return Err(format!("unknown bench section {bad}: use {}", SECTIONS.join(", ")));
    }
    let wants = |s: &str| named.is_empty() || named.contains(&s);
    let tools = tools::ensure(Need::Test)?;
    build::all(&tools)?;
    let started = Instant::now();
    let command = format!("cargo xtask bench{}", args.iter().map(|a| format!(" {a}")).collect::<String>());
    let mut out = if named.is_empty() { json!({ "generated": crate::dev::now().millis() }) } else { last_report()? };
    out["machine"] = machine();
    if named.is_empty() {
        out["command"] = json!(command);
    }
    // Which command measured each section, and when.
    for s in SECTIONS.iter().filter(|s| wants(s)) {
        out["measured_by"][*s] = json!({ "command": command, "at": crate::dev::now().millis() });
    }
    if wants("widget") {
        out["sizes"] = sizes_section()?;
    }
    if wants("reads") || wants("writes") {
        tools::ensure_apt("wrk", "wrk")?;
    }
    if wants("reads") {
        build::baseline_rs(&tools)?;
    }
    if wants("widget") || wants("reads") || wants("writes") {
        // wrangler at `warn`, like the baselines: at `info` it logs every request, work
        // of wrangler's that neither baseline pays for.
        crate::test::with_worker_logging("warn", |url, creds, _, shop_site| {
            if wants("widget") {
                // As a shop embeds it: the page on another origin (the shop site the demo
                // shop allows), warm and cold; and on the Worker's own origin.
                out["widget"] = widget::measure(&tools, url, shop_site, quick)?;
            }
            let shop = Shop { id: "demo".into(), key: creds.demo_key.clone(), client: Client::new(url) };
            if wants("reads") {
                out["reads"] = reads(url, &shop, quick)?;
            }
            if wants("writes") {
                out["writes"] = writes(url, &shop, quick)?;
            }
            Ok(())
        })?;
    }
    if wants("fanout") {
        let sizes: &[u32] = if quick { &[1_000, 10_000] } else { &[1_000, 10_000, 100_000] };
        out["fanout"] = fanout(sizes, if quick { 1 } else { 3 })?;
    }
    if wants("scale") {
        out["scale"] = scale(quick)?;
    }
    if wants("cpu") {
        out["cpu"] = cpu()?;
    }
    out["seconds"] = json!(started.elapsed().as_secs());
    write_report(&out, started)
}

fn write_report(out: &Value, started: Instant) -> Result<(), String> {
    let root = repo_root();
    let text = serde_json::to_string_pretty(out).map_err(|e| e.to_string())? + "\n";
    std::fs::write(root.join("docs/benchmarks.json"), text).map_err(|e| format!("docs/benchmarks.json: {e}"))?;
    std::fs::write(root.join("docs/benchmarks.md"), markdown(out)).map_err(|e| format!("docs/benchmarks.md: {e}"))?;
    eprintln!("\nwrote docs/benchmarks.md and docs/benchmarks.json in {:.0}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The last full report (`docs/benchmarks.json`), for a section run on its own.
fn last_report() -> Result<Value, String> {
    let path = repo_root().join("docs/benchmarks.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// D1 prices (developers.cloudflare.com/d1/platform/pricing), past the included amounts.
const D1_USD_PER_M_ROWS_READ: f64 = 0.001;
const D1_USD_PER_M_ROWS_WRITTEN: f64 = 1.00;

/// The `x-restock-d1` header of a development answer: (rows read, rows written).
fn d1_cost(reply: &restock_e2e::client::Reply) -> Result<(u64, u64), String> {
    let h = reply.header("x-restock-d1").ok_or_else(|| format!("no x-restock-d1 header ({})", reply.status))?;
    let field = |k: &str| {
        h.split(';')
            .find_map(|p| p.trim().strip_prefix(k).and_then(|v| v.strip_prefix('=')).and_then(|v| v.parse().ok()))
            .ok_or_else(|| format!("no {k} in {h}"))
    };
    Ok((field("rows_read")?, field("rows_written")?))
}

/// The queue consumer's D1 rows so far (`GET /dev/d1`).
fn queue_rows(client: &Client) -> (u64, u64) {
    let v = client.get("/dev/d1").json();
    (v["queue"]["rows_read"].as_u64().unwrap_or(0), v["queue"]["rows_written"].as_u64().unwrap_or(0))
}

/// The large-shop fixture (full size; `--quick`: the CI size) in a Worker of its own:
/// p50/p95 of every admin endpoint, and D1 rows read and written per operation from
/// D1's own `meta`, with the cost per million notifications at D1's prices.
fn scale(quick: bool) -> Result<Value, String> {
    use crate::fixture::{self, Size};
    let size = if quick { Size::CI } else { Size::FULL };
    step(&format!("large shop: generating the fixture ({size:?})"));
    let key = crate::dev::random_token("sk_")?;
    let file = repo_root().join("target/e2e/fixture-bench.sql");
    std::fs::create_dir_all(repo_root().join("target/e2e")).map_err(|e| e.to_string())?;
    std::fs::write(&file, fixture::sql(size, crate::dev::now(), &key, &[])?).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let operator = "op_bench";
    let server = restock_e2e::server::start_own_with("bench-scale", operator, &[], |state| {
        restock_e2e::server::execute_sql(state, &file)
    })?;
    let load_secs = t0.elapsed().as_secs_f64();
    let shop = Shop { id: fixture::SHOP.into(), key, client: Client::new(&server.url) };
    let samples = if quick { 5 } else { 20 };
    let first = shop.admin("GET", "/v1/admin/insights", None).json();
    let hot = first["products"][0]["sku"].as_str().unwrap_or("BIG-00000").to_owned();
    let some_backorder = shop.admin("GET", "/v1/admin/backorders?limit=1", None).json()["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let insights_next = first["next_cursor"].as_str().unwrap_or_default().to_owned();
    let endpoints: Vec<(&str, String)> = vec![
        ("products, a page of 200", "/v1/admin/products?limit=200".into()),
        ("products, search by SKU prefix", "/v1/admin/products?q=BIG-0012".into()),
        ("products, search by name", "/v1/admin/products?q=no.%204321".into()),
        ("product detail (most waited for)", format!("/v1/admin/products/{hot}")),
        ("its waitlist, a page of 200", format!("/v1/admin/products/{hot}/waitlist?limit=200")),
        ("its purchase orders", format!("/v1/admin/products/{hot}/purchase-orders")),
        ("backorders, a page of 200", "/v1/admin/backorders?limit=200".into()),
        ("one backorder", format!("/v1/admin/backorders/{some_backorder}")),
        ("insights (totals, series, top 50)", "/v1/admin/insights".into()),
        ("insights, second page", format!("/v1/admin/insights?cursor={insights_next}")),
        ("deliveries, a page of 200", "/v1/admin/deliveries?limit=200".into()),
        ("audit log", "/v1/admin/audit".into()),
        ("settings", "/v1/admin/settings".into()),
        ("export: waitlist.csv (every row)", "/v1/admin/export/waitlist.csv".into()),
        ("export: backorders.csv (every row)", "/v1/admin/export/backorders.csv".into()),
        ("export: supplier-digest.csv", "/v1/admin/export/supplier-digest.csv".into()),
    ];
    let mut rows = Vec::new();
    for (what, path) in &endpoints {
        step(&format!("large shop: {what}, {samples} requests"));
        let mut ms = Vec::new();
        let mut bytes = 0;
        let mut worst = 0;
        for _ in 0..samples {
            let t = Instant::now();
            let reply = shop.admin("GET", path, None);
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            worst = worst.max(reply.status);
            bytes = bytes.max(reply.body.len());
        }
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| (ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1] * 10.0).round() / 10.0;
        rows.push(json!({ "endpoint": what, "path": path, "p50_ms": pct(0.5), "p95_ms": pct(0.95),
                          "max_bytes": bytes, "worst_status": worst }));
    }
    // D1 rows per operation, from each answer's `x-restock-d1` (D1's own meta).
    step("large shop: D1 rows per operation");
    let public = format!("/v1/shops/{}", fixture::SHOP);
    let mut cost = Vec::new();
    let mut push = |what: &str, (read, written): (u64, u64)| {
        cost.push(json!({ "operation": what, "rows_read": read, "rows_written": written }));
    };
    let avail = shop.client.get(&format!("{public}/products/BIG-00007/availability?fresh=1"));
    push("availability read (cache miss)", d1_cost(&avail)?);
    let signup = shop.signup(&hot, "bench-signup@example.com", &restock_e2e::client::ip(9999));
    push("waitlist signup", d1_cost(&signup)?);
    shop.put_product("BENCH-100", json!({ "name": "Bench receive", "policy": "backorder", "on_hand": 0 }));
    let mut placed = 0;
    for i in 0..101 {
        let r = shop.backorder("BENCH-100", 1, &format!("bench{i:03}@example.com"), &restock_e2e::client::ip(i), None);
        if i == 0 {
            push("backorder", d1_cost(&r)?);
        }
        placed += u32::from(r.status == 201);
    }
    if placed != 101 {
        return Err(format!("only {placed} of 101 bench backorders were placed"));
    }
    let queue_before = queue_rows(&shop.client);
    let sent_before = shop.admin("GET", "/v1/admin/deliveries?kind=allocated&limit=1", None).json()["counts"]["sent"]
        .as_u64()
        .unwrap_or(0);
    let receive = shop.admin("POST", "/v1/admin/products/BENCH-100/receive", Some(&json!({ "quantity": 100 })));
    push("receive that allocates 100 orders", d1_cost(&receive)?);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let page = shop.admin("GET", "/v1/admin/deliveries?kind=allocated&limit=1", None).json();
        if page["counts"]["sent"].as_u64().unwrap_or(0) >= sent_before + 100 {
            break;
        }
        if Instant::now() > deadline {
            return Err("the 100 allocation emails were not sent within 2 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_secs(2));
    let queue_after = queue_rows(&shop.client);
    let per = |a: u64, b: u64| ((a - b) as f64 / 100.0 * 10.0).round() / 10.0;
    let (nr, nw) = (per(queue_after.0, queue_before.0), per(queue_after.1, queue_before.1));
    cost.push(json!({ "operation": "each allocation email delivered (queue consumer: claim, render, send, finish)",
                      "rows_read": nr, "rows_written": nw }));
    // A restock wave to 100 subscribers: the receive plans it; queue jobs mark the
    // subscribers, create their deliveries and send them.
    shop.put_product("BENCH-WAVE", json!({ "name": "Bench wave", "policy": "deny", "on_hand": 0 }));
    for i in 0..100 {
        let r = shop.signup("BENCH-WAVE", &format!("wave{i:03}@example.com"), &restock_e2e::client::ip(5000 + i));
        if r.status != 202 {
            return Err(format!("bench signup {i}: {} {}", r.status, r.body));
        }
    }
    let sent_before = shop.admin("GET", "/v1/admin/deliveries?kind=restock&limit=1", None).json()["counts"]["sent"]
        .as_u64()
        .unwrap_or(0);
    let queue_before = queue_rows(&shop.client);
    let receive = shop.admin("POST", "/v1/admin/products/BENCH-WAVE/receive", Some(&json!({ "quantity": 100 })));
    let (wave_read, wave_written) = d1_cost(&receive)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while shop.admin("GET", "/v1/admin/deliveries?kind=restock&limit=1", None).json()["counts"]["sent"]
        .as_u64()
        .unwrap_or(0)
        < sent_before + 100
    {
        if Instant::now() > deadline {
            return Err("the 100 restock emails were not sent within 2 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_secs(2));
    let queue_after = queue_rows(&shop.client);
    let (rr, rw) = (
        ((queue_after.0 - queue_before.0 + wave_read) as f64 / 10.0).round() / 10.0,
        ((queue_after.1 - queue_before.1 + wave_written) as f64 / 10.0).round() / 10.0,
    );
    cost.push(json!({ "operation": "each restock email of a wave, planned to sent (receive, fan-out, consumer)",
                      "rows_read": rr, "rows_written": rw }));
    let usd = rr * D1_USD_PER_M_ROWS_READ + rw * D1_USD_PER_M_ROWS_WRITTEN;
    drop(server);
    Ok(json!({
        "size": { "skus": size.skus, "waitlist": size.waitlist, "backorders": size.backorders,
                  "purchase_orders": size.purchase_orders, "deliveries": size.deliveries },
        "fixture_load_and_start_s": (load_secs * 10.0).round() / 10.0,
        "samples": samples,
        "endpoints": rows,
        "d1_cost": cost,
        "d1_usd_per_million_notifications": (usd * 100.0).round() / 100.0,
    }))
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned()))
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    json!({ "cpu": model, "cores": cores })
}

fn sizes_section() -> Result<Value, String> {
    let root = repo_root();
    let measure = |p: &str| sizes::measure(&root.join(p));
    let widget = sizes::WidgetFiles::read(&root.join("www/widget"))?;
    let (loader, js, wasm) =
        (sizes::measure(&widget.loader)?, sizes::measure(&widget.main)?, sizes::measure(&widget.wasm)?);
    let (wjs, wwasm) = (measure("edge/build/index.js")?, measure("edge/build/index_bg.wasm")?);
    let row = |s: Sizes| json!({ "raw": s.raw, "gzip": s.gzip, "brotli": s.brotli });
    Ok(json!({
        "widget_loader": row(loader), "widget_js": row(js), "widget_wasm": row(wasm),
        "widget_total": row(loader + js + wasm), "worker_total": row(wjs + wwasm),
    }))
}

/// One wrk run's figures.
fn wrk(url: &str, connections: u32, dur: &str, script: Option<(&Path, &[&str])>) -> Result<Value, String> {
    let threads = connections.clamp(1, 2).to_string();
    let mut cmd = Command::new("wrk");
    cmd.args(["-t", &threads, "-c", &connections.to_string(), "-d", dur, "--latency"]);
    if let Some((lua, _)) = script {
        cmd.arg("-s").arg(lua);
    }
    cmd.arg(url);
    if let Some((_, args)) = script {
        cmd.arg("--").args(args);
    }
    let out = cmd.output().map_err(|e| format!("wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        return Err(format!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr)));
    }
    let field = |prefix: &str| {
        text.lines().find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_owned())).unwrap_or_default()
    };
    let rps: f64 = field("Requests/sec:").parse().unwrap_or(0.0);
    let errors = text.lines().any(|l| l.contains("Non-2xx") || l.contains("Socket errors"));
    let mut v = json!({
        "connections": connections,
        "rps": rps.round() as u64,
        "p50_ms": latency_ms(&field("50%")),
        "p99_ms": latency_ms(&field("99%")),
        "non_2xx_or_socket_errors": errors,
    });
    if let Some(status) = text.lines().find_map(|l| l.strip_prefix("STATUS ")) {
        for part in status.split_whitespace() {
            if let Some((k, n)) = part.split_once('=') {
                v[k] = json!(n.parse::<u64>().unwrap_or(0));
            }
        }
    }
    Ok(v)
}

/// "1.23ms" / "850.00us" / "1.20s" → milliseconds.
fn latency_ms(s: &str) -> f64 {
    let (num, factor) = if let Some(n) = s.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (s, 1.0)
    };
    (num.parse::<f64>().unwrap_or(0.0) * factor * 100.0).round() / 100.0
}

/// A baseline Worker on its own port, serving `value` from KV: `bench/baseline/` (the
/// least a JavaScript Worker does) or `bench/baseline-rs/` (the same in workers-rs).
struct Baseline {
    child: Child,
    url: String,
}

impl Baseline {
    fn start(dir_name: &str, value: &str) -> Result<Baseline, String> {
        let dir = repo_root().join("target/bench").join(dir_name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let persist = dir.display().to_string();
        let config = repo_root().join("bench").join(dir_name).join("wrangler.toml").display().to_string();
        let put = wrangler(&[
            "kv",
            "key",
            "put",
            "availability",
            value,
            "--binding",
            "KV",
            "--local",
            "--persist-to",
            &persist,
            "--config",
            &config,
        ])
        .output()
        .map_err(|e| e.to_string())?;
        if !put.status.success() {
            return Err(format!("seeding the {dir_name} KV: {}", String::from_utf8_lossy(&put.stderr)));
        }
        let port = free_port();
        let log = std::fs::File::create(dir.join("wrangler.log")).map_err(|e| e.to_string())?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = wrangler_dev(port, &dir, &["--config", &config, "--log-level", "warn"]);
        let child = cmd.stdout(log).stderr(err).spawn().map_err(|e| e.to_string())?;
        let url = format!("http://127.0.0.1:{port}");
        let client = Client::new(&url);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if client.try_request("GET", "/", &[], None).is_ok_and(|r| r.status == 200 && r.body == value) {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("the {dir_name} Worker did not start; see target/bench/{dir_name}/wrangler.log"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(Baseline { child, url })
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        // wrangler runs workerd as a child: end the whole group.
        kill_group(self.child.id(), "TERM");
        std::thread::sleep(Duration::from_millis(500));
        kill_group(self.child.id(), "KILL");
        let _ = self.child.wait();
    }
}

/// (median, min, max) of `samples`.
fn spread(samples: &[f64]) -> Value {
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let round = |x: f64| (x * 100.0).round() / 100.0;
    json!({
        "median": round(v.get(v.len() / 2).copied().unwrap_or(0.0)),
        "min": round(v.first().copied().unwrap_or(0.0)),
        "max": round(v.last().copied().unwrap_or(0.0)),
    })
}

/// The `subrequests=` of an answer's `x-restock-d1` header (KV, D1, Queues, fetch).
fn subrequests(reply: &restock_e2e::client::Reply) -> Option<u64> {
    reply.header("x-restock-d1")?.split(';').find_map(|p| p.trim().strip_prefix("subrequests=")?.parse().ok())
}

fn reads(url: &str, shop: &Shop, quick: bool) -> Result<Value, String> {
    let path = "/v1/shops/demo/products/TEE-ORG-M/availability";
    let reply = shop.client.get(path);
    if reply.status != 200 {
        return Err(format!("availability: {} {}", reply.status, reply.body));
    }
    // What a warm read costs (KV gets are subrequests; the shop's face comes from the
    // isolate's memory): the least of a few reads in a row.
    let warm = (0..5).filter_map(|_| subrequests(&shop.client.get(path))).min();
    let js = Baseline::start("baseline", &reply.body)?;
    let rs = Baseline::start("baseline-rs", &reply.body)?;
    let dur = duration(quick);
    let levels: &[u32] = if quick { &[8, 32] } else { &[1, 8, 32, 64] };
    let runs = 3;
    let targets =
        [("restock", format!("{url}{path}")), ("baseline_js", js.url.clone()), ("baseline_rs", rs.url.clone())];
    let mut rows = Vec::new();
    for &c in levels {
        // Interleaved rounds, so a slow moment of the machine touches all three alike.
        let mut got: Vec<Vec<Value>> = vec![Vec::new(); targets.len()];
        for round in 1..=runs {
            step(&format!(
                "reads: {c} connections, round {round} of {runs}: Restock, JS baseline, Rust baseline, {dur} each"
            ));
            for (i, (_, target)) in targets.iter().enumerate() {
                got[i].push(wrk(target, c, dur, None)?);
            }
        }
        let mut row = json!({ "connections": c });
        for (i, (name, _)) in targets.iter().enumerate() {
            let pick = |k: &str| got[i].iter().map(|v| v[k].as_f64().unwrap_or(0.0)).collect::<Vec<_>>();
            row[*name] = json!({ "rps": spread(&pick("rps")), "p50_ms": spread(&pick("p50_ms")),
                                 "p99_ms": spread(&pick("p99_ms")), "runs": got[i] });
        }
        let med = |row: &Value, name: &str, k: &str| row[name][k]["median"].as_f64().unwrap_or(0.0);
        let ratio = |a: f64, b: f64| if b > 0.0 { (a / b * 100.0).round() / 100.0 } else { 0.0 };
        for base in ["baseline_js", "baseline_rs"] {
            let rps = ratio(med(&row, "restock", "rps"), med(&row, base, "rps"));
            let p99 = ratio(med(&row, "restock", "p99_ms"), med(&row, base, "p99_ms"));
            row[format!("rps_vs_{base}")] = json!(rps);
            row[format!("p99_vs_{base}")] = json!(p99);
        }
        let med = |name: &str, k: &str| med(&row, name, k);
        eprintln!(
            "  {c} connections: Restock {} req/s, JS {} req/s, Rust {} req/s; Restock/JS {} (p99 ×{})",
            med("restock", "rps"),
            med("baseline_js", "rps"),
            med("baseline_rs", "rps"),
            row["rps_vs_baseline_js"],
            row["p99_vs_baseline_js"]
        );
        rows.push(row);
    }
    drop(js);
    drop(rs);

    // The batch endpoint: 50 products to ask about.
    for i in 1..=50 {
        shop.put_product(
            &format!("BENCH-{i:03}"),
            json!({ "name": format!("Bench {i}"), "policy": "deny", "on_hand": i }),
        );
    }
    let mut batch = Vec::new();
    for n in [1, 10, 50] {
        let skus: Vec<String> = (1..=n).map(|i| format!("BENCH-{i:03}")).collect();
        let path = format!("/v1/shops/demo/availability?skus={}", skus.join(","));
        let check = shop.client.get(&path);
        if check.status != 200 || check.json()["items"].as_array().map(Vec::len) != Some(n) {
            return Err(format!("batch of {n}: {} {}", check.status, check.body));
        }
        step(&format!("reads: batch of {n} SKUs, 32 connections"));
        let r = wrk(&format!("{url}{path}"), 32, dur, None)?;
        eprintln!("  {} req/s, p50 {} ms, p99 {} ms", r["rps"], r["p50_ms"], r["p99_ms"]);
        batch.push(json!({ "skus": n, "result": r }));
    }
    Ok(json!({ "single": rows, "batch": batch, "warm_read_subrequests": warm, "runs": runs }))
}

fn writes(url: &str, shop: &Shop, quick: bool) -> Result<Value, String> {
    let lua = repo_root().join("bench/signups.lua");
    let dur = duration(quick);
    shop.put_product("BENCH-WL", json!({ "name": "Bench waitlist", "policy": "deny" }));
    step(&format!("writes: waitlist signups, 32 connections, {dur}"));
    let template = r#"{"sku":"BENCH-WL","email":"%s","consent":true,"consent_text":"Email me once."}"#;
    let signups =
        wrk(&format!("{url}/v1/shops/demo/waitlist"), 32, dur, Some((&lua, &["/v1/shops/demo/waitlist", template])))?;
    eprintln!("  {} signups/s (accepted {}, other {})", signups["rps"], signups["ok"], signups["other"]);

    // Small enough that every run sells out, so the storm tests the cap, not just speed.
    const CAP: u64 = 300;
    shop.put_product("BENCH-BO", json!({ "name": "Bench backorder", "policy": "backorder", "cap": CAP }));
    step(&format!("writes: backorders against a cap of {CAP}, 32 connections, {dur}"));
    let template = r#"{"sku":"BENCH-BO","quantity":1,"email":"%s"}"#;
    let orders = wrk(
        &format!("{url}/v1/shops/demo/backorders"),
        32,
        dur,
        Some((&lua, &["/v1/shops/demo/backorders", template])),
    )?;
    let accepted = orders["ok"].as_u64().unwrap_or(0);
    let refused = orders["refused"].as_u64().unwrap_or(0);
    let queue = shop.backorders("BENCH-BO");
    let open = queue.len() as u64;
    let owed: u64 = queue.iter().filter_map(|o| o["quantity"].as_u64()).sum();
    eprintln!("  {} requests/s: {accepted} accepted, {refused} refused (sold out), {open} open", orders["rps"]);
    // Requests still in flight when wrk stops are answered after it stopped counting
    // (at most one per connection): they may be open without being counted accepted.
    let holds = owed <= CAP
        && open >= accepted
        && open - accepted <= 32
        && (refused == 0 || owed == CAP)
        && orders["other"] == 0;
    if !holds {
        return Err(format!(
            "cap invariant broken: {accepted} accepted, {open} open, {owed} owed, cap {CAP}: {orders}"
        ));
    }
    Ok(json!({ "signups": signups, "backorders": orders, "cap": CAP, "open_after": open, "cap_invariant_held": holds }))
}

/// A release to `n` subscribers, `runs` times, each on a fresh Worker of its own:
/// seeded straight into local D1, then one receive of `n` units; timed until every
/// email is `sent` (in the outbox), with D1's rows read and written per email (the
/// receive's own and the Worker's tally of every queue invocation, `GET /dev/d1`).
fn fanout(sizes: &[u32], runs: usize) -> Result<Value, String> {
    let mut rows = Vec::new();
    for &n in sizes {
        let mut secs = Vec::new();
        let mut answered = Vec::new();
        let (mut read, mut written) = (Vec::new(), Vec::new());
        for run in 1..=runs {
            let operator = "op_bench";
            let mut server = start_own("bench-fanout", operator, &[])?;
            let shop = Shop::create_on(Client::new(&server.url), operator, "fan", json!({}));
            let sku = format!("FAN-{n}");
            shop.put_product(&sku, json!({ "name": format!("Fan-out {n}"), "policy": "deny" }));
            server.stop();
            seed_waitlist(&server.options.persist, &shop.id, &sku, n)?;
            let options = server.options.clone();
            drop(server);
            let server = DevServer::start(options, Duration::from_secs(120))?;
            let client = Client::new(&server.url);
            let before = queue_rows(&client);
            step(&format!("fan-out to {n} subscribers, run {run} of {runs}"));
            let t0 = Instant::now();
            let reply =
                shop.admin("POST", &format!("/v1/admin/products/{sku}/receive"), Some(&json!({ "quantity": n })));
            let r = reply.json();
            if reply.status != 200 || r["release"]["notify"] != n {
                return Err(format!("the release to {n} was not planned: {} {r}", reply.status));
            }
            answered.push(t0.elapsed().as_secs_f64() * 1000.0);
            let receive = d1_cost(&reply)?;
            let deadline = Instant::now() + Duration::from_secs(1800);
            let mut last_cron = Instant::now();
            while sent(&shop) < u64::from(n) {
                if Instant::now() > deadline {
                    return Err(format!("fan-out to {n} did not finish in 30 minutes"));
                }
                // The 5-minute scheduled job (it only matters if a queue message was
                // lost), run more often so a loss shows within the run.
                if last_cron.elapsed() > Duration::from_secs(15) {
                    shop.run_cron();
                    last_cron = Instant::now();
                }
                std::thread::sleep(Duration::from_millis(500));
            }
            let s = t0.elapsed().as_secs_f64();
            // The receive and the queue's work: the fan-out itself, not the polling above.
            let after = queue_rows(&client);
            read.push((after.0.saturating_sub(before.0) + receive.0) as f64 / f64::from(n));
            written.push((after.1.saturating_sub(before.1) + receive.1) as f64 / f64::from(n));
            eprintln!("  {n} emails sent after {s:.1} s ({:.0}/s)", f64::from(n) / s);
            secs.push(s);
            drop(server);
        }
        let median = |v: &[f64]| spread(v)["median"].as_f64().unwrap_or(0.0);
        rows.push(json!({
            "subscribers": n,
            "runs": runs,
            "receive_answered_ms": spread(&answered),
            "seconds_to_all_sent": spread(&secs),
            "per_second": (f64::from(n) / median(&secs).max(0.001)).round() as u64,
            "d1_rows_read_per_email": spread(&read),
            "d1_rows_written_per_email": spread(&written),
        }));
    }
    let growth: Vec<Value> = rows
        .windows(2)
        .map(|w| {
            let m = |r: &Value| r["seconds_to_all_sent"]["median"].as_f64().unwrap_or(0.0);
            let ratio = m(&w[1]) / m(&w[0]).max(0.001);
            json!({ "from": w[0]["subscribers"], "to": w[1]["subscribers"], "time_factor": (ratio * 10.0).round() / 10.0 })
        })
        .collect();
    Ok(json!({ "sizes": rows, "growth": growth }))
}

fn sent(shop: &Shop) -> u64 {
    let page = shop.admin("GET", "/v1/admin/deliveries?kind=restock&limit=1", None).json();
    page["counts"]["sent"].as_u64().unwrap_or(0)
}

/// Native timings of the domain functions (`shared/examples/bench_cpu.rs`, release build).
fn cpu() -> Result<Value, String> {
    step("CPU: domain functions, native release build");
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["run", "--release", "--quiet", "--package", "restock-shared", "--example", "bench_cpu"])
        .current_dir(repo_root())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo run --example bench_cpu: {e}"))?;
    if !out.status.success() {
        return Err("the CPU benchmark failed".into());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("bench_cpu output: {e}"))
}

fn kb(n: &Value) -> String {
    format!("{:.1} KB", n.as_f64().unwrap_or(0.0) / 1024.0)
}

fn markdown(r: &Value) -> String {
    let mut m = String::new();
    let mut line = |s: String| {
        m.push_str(&s);
        m.push('\n');
    };
    line("# Benchmarks".into());
    line(String::new());
    line(format!(
        "Made by `{}` on {} ({} cores). Regenerate with the same command; figures vary by machine. \
         Everything runs locally: the Worker under `wrangler dev` (workerd, local D1/KV/Queues), wrk and \
         Chromium on the same {} cores, so absolute numbers are far below Cloudflare's edge and the \
         ratios are what carry over.",
        r["command"].as_str().unwrap_or_default(),
        r["machine"]["cpu"].as_str().unwrap_or_default(),
        r["machine"]["cores"],
        r["machine"]["cores"]
    ));
    line(String::new());
    // Sections may come from different runs (`cargo xtask bench <section>…` merges into
    // the last report): say which run measured each.
    let mut by = Vec::new();
    for s in SECTIONS {
        let m = &r["measured_by"][s];
        match (m["command"].as_str(), m["at"].as_i64()) {
            (Some(command), Some(at)) => {
                let day = restock_shared::Timestamp::from_millis(at).date();
                by.push(format!("{s}: `{command}`, {day}"));
            }
            _ if !r[s].is_null() => by.push(format!("{s}: an earlier full `cargo xtask bench`")),
            _ => {}
        }
    }
    if !by.is_empty() {
        line(format!("Which run measured each section: {}.", by.join("; ")));
        line(String::new());
    }
    widget::markdown(&r["widget"], &mut line);
    line(format!(
        "The Worker's own bundle: {} brotli ({} raw).",
        kb(&r["sizes"]["worker_total"]["brotli"]),
        kb(&r["sizes"]["worker_total"]["raw"])
    ));
    line(String::new());
    line("## Availability reads".into());
    line(String::new());
    line(format!(
        "`GET /v1/shops/demo/products/TEE-ORG-M/availability` (a warm read: {} subrequest(s), the SKU's KV \
         snapshot; the shop's settings come from the isolate's memory) side by side with two baselines that \
         return the same bytes from one KV get: a JavaScript Worker (`bench/baseline/`) and a workers-rs Worker \
         built like Restock's (`bench/baseline-rs/`), which separates what Rust on Workers costs from what \
         Restock does. wrk, {} interleaved rounds per concurrency; each figure is the median, with min–max.",
        r["reads"]["warm_read_subrequests"], r["reads"]["runs"]
    ));
    line(String::new());
    line("| connections | Restock req/s | p99 | JS baseline req/s | p99 | Rust baseline req/s | p99 | Restock / JS (req/s, p99) | Restock / Rust (req/s, p99) |".into());
    line("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |".into());
    let cell = |v: &Value, unit: &str| format!("{}{unit} ({}–{})", v["median"], v["min"], v["max"]);
    for row in r["reads"]["single"].as_array().into_iter().flatten() {
        let (o, j, x) = (&row["restock"], &row["baseline_js"], &row["baseline_rs"]);
        line(format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} × / {} × | {} × / {} × |",
            row["connections"],
            cell(&o["rps"], ""),
            cell(&o["p99_ms"], " ms"),
            cell(&j["rps"], ""),
            cell(&j["p99_ms"], " ms"),
            cell(&x["rps"], ""),
            cell(&x["p99_ms"], " ms"),
            row["rps_vs_baseline_js"],
            row["p99_vs_baseline_js"],
            row["rps_vs_baseline_rs"],
            row["p99_vs_baseline_rs"]
        ));
    }
    line(String::new());
    line("Batch endpoint (`GET /v1/shops/demo/availability?skus=…`), 32 connections:".into());
    line(String::new());
    line("| SKUs | req/s | p50 | p99 | SKU answers/s |".into());
    line("| ---: | ---: | ---: | ---: | ---: |".into());
    for row in r["reads"]["batch"].as_array().into_iter().flatten() {
        let x = &row["result"];
        let per = x["rps"].as_f64().unwrap_or(0.0) * row["skus"].as_f64().unwrap_or(0.0);
        line(format!("| {} | {} | {} ms | {} ms | {per:.0} |", row["skus"], x["rps"], x["p50_ms"], x["p99_ms"]));
    }
    let w = &r["writes"];
    line(String::new());
    line("## Writes".into());
    line(String::new());
    line("wrk with `bench/signups.lua`: 32 connections, every request a new address from a new client IP.".into());
    line(String::new());
    line("| write | req/s | p50 | p99 | accepted | refused |".into());
    line("| --- | ---: | ---: | ---: | ---: | ---: |".into());
    for (label, key) in [("waitlist signup", "signups"), ("backorder", "backorders")] {
        let x = &w[key];
        line(format!(
            "| {label} | {} | {} ms | {} ms | {} | {} |",
            x["rps"], x["p50_ms"], x["p99_ms"], x["ok"], x["refused"]
        ));
    }
    line(String::new());
    line(format!(
        "Cap invariant after the backorder storm (cap {}): {} open backorders; units owed never above the cap and \
         exactly the cap once anything was refused; every refusal a 409 sold-out; accepted = open up to the \
         requests wrk left in flight: **{}**.",
        w["cap"],
        w["open_after"],
        if w["cap_invariant_held"] == true { "held" } else { "BROKEN" }
    ));
    line(String::new());
    line("## Waitlist fan-out".into());
    line(String::new());
    line(
        "Subscribers seeded into local D1, then one receive of as many units; timed from the receive call \
          until every restock email is `sent` in the outbox (plan, enqueue, claim, render, send)."
            .into(),
    );
    line(String::new());
    line(format!(
        "Each size {} times, each run on a fresh Worker. D1 rows per email are D1's own `meta` over the receive \
         and every queue invocation of the run (`GET /dev/d1`; the benchmark's polling is left out). Median \
         (min–max).",
        r["fanout"]["sizes"][0]["runs"]
    ));
    line(String::new());
    line("| subscribers | receive answered | all sent after | emails/s | D1 rows read per email | rows written per email |".into());
    line("| ---: | ---: | ---: | ---: | ---: | ---: |".into());
    for row in r["fanout"]["sizes"].as_array().into_iter().flatten() {
        line(format!(
            "| {} | {} | {} | {} | {} | {} |",
            row["subscribers"],
            cell(&row["receive_answered_ms"], " ms"),
            cell(&row["seconds_to_all_sent"], " s"),
            row["per_second"],
            cell(&row["d1_rows_read_per_email"], ""),
            cell(&row["d1_rows_written_per_email"], "")
        ));
    }
    line(String::new());
    for g in r["fanout"]["growth"].as_array().into_iter().flatten() {
        line(format!("- {} → {} subscribers: time × {}", g["from"], g["to"], g["time_factor"]));
    }
    let sc = &r["scale"];
    if !sc.is_null() {
        line(String::new());
        line("## A large shop".into());
        line(String::new());
        let z = &sc["size"];
        line(format!(
            "The large-shop fixture (`xtask/src/fixture.rs`): {} SKUs, {} waitlist entries, {} backorders, {} purchase \
             orders, {} deliveries, loaded into a Worker of its own ({} s to load and start). {} requests per endpoint, \
             one at a time.",
            z["skus"],
            z["waitlist"],
            z["backorders"],
            z["purchase_orders"],
            z["deliveries"],
            sc["fixture_load_and_start_s"],
            sc["samples"]
        ));
        line(String::new());
        line("| admin endpoint | p50 | p95 | largest answer | worst status |".into());
        line("| --- | ---: | ---: | ---: | ---: |".into());
        for row in sc["endpoints"].as_array().into_iter().flatten() {
            line(format!(
                "| {} | {} ms | {} ms | {} | {} |",
                row["endpoint"].as_str().unwrap_or_default(),
                row["p50_ms"],
                row["p95_ms"],
                kb(&row["max_bytes"]),
                row["worst_status"]
            ));
        }
        line(String::new());
        line("D1 rows per operation, from D1's own `meta` (`rows_read`, `rows_written`), on that shop:".into());
        line(String::new());
        line("| operation | rows read | rows written |".into());
        line("| --- | ---: | ---: |".into());
        for row in sc["d1_cost"].as_array().into_iter().flatten() {
            line(format!(
                "| {} | {} | {} |",
                row["operation"].as_str().unwrap_or_default(),
                row["rows_read"],
                row["rows_written"]
            ));
        }
        line(String::new());
        line(format!(
            "At D1's prices past the included amounts ($0.001 per million rows read, $1.00 per million rows \
             written), the D1 work of **1 million restock emails, planned to sent, costs ${}**. `docs/scale.md` \
             adds Queues and Workers.",
            sc["d1_usd_per_million_notifications"]
        ));
    }
    line(String::new());
    line("## CPU".into());
    line(String::new());
    line("Native release build, best of 5 batches (the Worker runs the same code compiled to wasm).".into());
    line(String::new());
    line("| function | ns per call |".into());
    line("| --- | ---: |".into());
    for row in r["cpu"].as_array().into_iter().flatten() {
        line(format!("| {} | {} |", row["what"].as_str().unwrap_or_default(), row["ns_per_call"]));
    }
    line(String::new());
    line(format!("The whole run took {} s.", r["seconds"]));
    m
}
