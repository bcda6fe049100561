//! The widget's part of the benchmark: what a page downloads (raw, gzip, brotli), what
//! each part of the wasm costs (twiggy, grouped by what the code is for), and the time
//! from DOMContentLoaded to the first status on screen in headless Chromium: on the
//! shop's own origin with a warm and a cold cache, and on the Worker's origin. Times are
//! reported as the spread of several runs (each the median of its loads), never
//! asserted; sizes are asserted in `tests/tests/budget.rs`.

use std::process::Command;
use std::time::Duration;

use restock_e2e::browser::Browser;
use restock_e2e::server::repo_root;
use restock_e2e::shopsite::ShopSite;
use restock_e2e::sizes::{self, Sizes, WidgetFiles};
use serde_json::{Value, json};

use crate::step;
use crate::tools::{self, Tools};

/// Runs of each first-status measurement (each run is `loads` page loads).
pub const RUNS: usize = 3;

fn row(s: Sizes) -> Value {
    json!({ "raw": s.raw, "gzip": s.gzip, "brotli": s.brotli })
}

/// The built files' sizes: each file, each language pack, and what a page downloads
/// (with its language's pack; the largest is counted).
pub fn sizes() -> Result<Value, String> {
    let f = WidgetFiles::read(&repo_root().join("www/widget"))?;
    let (loader, main, wasm) = (sizes::measure(&f.loader)?, sizes::measure(&f.main)?, sizes::measure(&f.wasm)?);
    let mut packs = serde_json::Map::new();
    let (mut largest, mut largest_lang, mut all) = (Sizes::default(), String::new(), Sizes::default());
    for (lang, path) in &f.texts {
        let s = sizes::measure(path)?;
        packs.insert(lang.clone(), row(s));
        all = all + s;
        if s.brotli > largest.brotli {
            (largest, largest_lang) = (s, lang.clone());
        }
    }
    Ok(json!({
        "loader": row(loader), "main": row(main), "wasm": row(wasm), "packs": packs,
        "page": row(loader + main + wasm + largest), "page_pack": largest_lang,
        "code": row(loader + main + wasm),
        "first_status": row(loader),
        "all_languages": row(loader + main + wasm + all),
    }))
}

/// What the parts of the wasm weigh, from twiggy (`cargo install twiggy`, once) over a
/// build of the same code that keeps function names and lets no function be inlined
/// into another by wasm-opt (else most of it is one exported function). Its total is a
/// little above the shipped file's, so the groups are given as shares of it.
pub fn breakdown(tools: &Tools) -> Result<Value, String> {
    step("widget: what each part of the wasm costs (twiggy)");
    let twiggy = tools::ensure_cargo_bin("twiggy", "twiggy", "0.8.0")?;
    let glue = repo_root().join("target/widget");
    let named = glue.join("widget-named.wasm");
    let mut opt = Command::new(tools.node_bin.join("wasm-opt"));
    // (`--no-inline` first: wasm-opt runs its passes in order.)
    opt.arg("--no-inline=*")
        .args(crate::build::WASM_OPT.iter().filter(|a| !a.starts_with("--strip")))
        .arg("--debuginfo")
        .arg(glue.join("glue_bg.wasm"))
        .arg("-o")
        .arg(&named);
    tools::run(&mut opt)?;
    let out = Command::new(twiggy)
        .args(["top", "--format", "json"])
        .arg(&named)
        .output()
        .map_err(|e| format!("twiggy: {e}"))?;
    let items: Vec<Value> = serde_json::from_slice(&out.stdout).map_err(|e| format!("twiggy's output: {e}"))?;
    let mut groups: Vec<(&str, u64)> = GROUPS.iter().map(|(name, _)| (*name, 0)).collect();
    let mut total = 0;
    for item in &items {
        let name = item["name"].as_str().unwrap_or_default();
        let bytes = item["shallow_size"].as_u64().unwrap_or(0);
        if name.contains("\"function names\"") || name.starts_with("custom section") {
            continue;
        }
        total += bytes;
        let group = GROUPS.iter().position(|(_, is)| is(name)).unwrap_or(GROUPS.len() - 1);
        if let Some(g) = groups.get_mut(group) {
            g.1 += bytes;
        }
    }
    let share = |bytes: u64| ((bytes as f64 / total.max(1) as f64) * 1000.0).round() / 10.0;
    let shipped = sizes::measure(&WidgetFiles::read(&repo_root().join("www/widget"))?.wasm)?;
    let groups: Vec<Value> = groups
        .iter()
        .filter(|(_, b)| *b > 0)
        .map(|(name, bytes)| json!({ "part": name, "bytes": bytes, "percent": share(*bytes) }))
        .collect();
    let top: Vec<Value> = items
        .iter()
        .filter(|i| !i["name"].as_str().unwrap_or_default().contains("names\""))
        .take(15)
        .map(|i| json!({ "item": short(i["name"].as_str().unwrap_or_default()), "bytes": i["shallow_size"] }))
        .collect();
    Ok(json!({ "attribution_bytes": total, "shipped_raw": shipped.raw, "groups": groups, "top": top }))
}

type Is = fn(&str) -> bool;

/// What the wasm's code and data are for, by item name (the first match wins).
const GROUPS: &[(&str, Is)] = &[
    ("data: tables and texts of the rules", |n| n.starts_with("data segment")),
    ("the exports: inbox, check, outbox (`lib.rs`, `rules.rs`)", |n| {
        n.contains("restock_widget") || ["check", "inbox", "outbox"].contains(&n) || n.starts_with("export ")
    }),
    ("domain rules from `shared` (Email, Phone, Quantity, Lang, number grouping)", |n| n.contains("restock_shared")),
    ("allocator (lol_alloc)", |n| n.contains("lol_alloc")),
    ("wasm-bindgen runtime and imports", |n| n.contains("wasm_bindgen") || n.starts_with("import ")),
    ("Rust's core and alloc (strings, vectors, UTF-8, memcpy)", |_| true),
];

/// A twiggy item's name without crate hashes and symbol hashes.
fn short(name: &str) -> String {
    let mut out = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '[' {
            // `core[c5930c85a12de822]`: the crate's hash.
            for c in chars.by_ref() {
                if c == ']' {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    match out.rfind("::h") {
        Some(i) if out[i + 3..].chars().all(|c| c.is_ascii_hexdigit()) => out[..i].to_owned(),
        _ => out,
    }
}

/// DOMContentLoaded → `restock:first-status`, `RUNS` runs of `loads` page loads of
/// `page(i)`: warm (one browser per run, a first load to fill its cache) or `cold` (a
/// new browser profile for every load: nothing cached).
pub fn first_status(what: &str, page: &dyn Fn(usize) -> String, loads: usize, cold: bool) -> Result<Value, String> {
    let mut runs = Vec::new();
    for run in 0..RUNS {
        step(&format!("widget: first status, {what}, run {} of {RUNS}: {loads} loads in headless Chromium", run + 1));
        let mut b = Browser::launch();
        if !cold {
            load(&b, &page(10_000 + run))?;
        }
        let mut samples = Vec::new();
        for i in 0..loads {
            if cold && i > 0 {
                b = Browser::launch();
            }
            samples.push(load(&b, &page(run * loads + i))?);
        }
        let s = stats(&mut samples);
        eprintln!("  median {} ms (min {}, max {})", s["median"], s["min"], s["max"]);
        runs.push(s);
    }
    let mut medians: Vec<f64> = runs.iter().filter_map(|r| r["median"].as_f64()).collect();
    let spread = stats(&mut medians);
    Ok(json!({ "loads": loads, "runs": runs, "median": spread["median"], "min": spread["min"], "max": spread["max"] }))
}

/// One page load (a new query string each time: no page cache, a fresh widget), in ms.
fn load(b: &Browser, url: &str) -> Result<f64, String> {
    b.goto(url);
    let ms = b.wait_for(
        "the first status",
        "const m = performance.getEntriesByName('restock:first-status')[0]; \
         const nav = performance.getEntriesByType('navigation')[0]; \
         return m && nav ? m.startTime - nav.domContentLoadedEventStart : null",
        Duration::from_secs(20),
    );
    ms.as_f64().ok_or_else(|| format!("no first-status timing on {url}: {ms}"))
}

fn stats(samples: &mut [f64]) -> Value {
    samples.sort_by(f64::total_cmp);
    let median = samples.get(samples.len() / 2).copied().unwrap_or(0.0);
    let round = |x: f64| (x * 10.0).round() / 10.0;
    json!({
        "loads": samples.len(),
        "median": round(median),
        "min": round(samples.first().copied().unwrap_or(0.0)),
        "max": round(samples.last().copied().unwrap_or(0.0)),
    })
}

/// The three first-status measurements against a running Worker at `url`, with the
/// shop's own site at `shop_site` (an origin the demo shop allows).
pub fn timings(url: &str, shop_site: &str, loads: usize) -> Result<Value, String> {
    let site = ShopSite::start_at(shop_site, url);
    let page = |i: usize| site.page("embed.html", &format!("sku=TEE-ORG-M&n={i}"));
    let own = |i: usize| format!("{url}/embed.html?sku=TEE-ORG-M&n={i}");
    Ok(json!({
        "first_status": first_status("foreign origin, warm cache", &page, loads, false)?,
        "first_status_cold": first_status("foreign origin, cold cache", &page, loads, true)?,
        "first_status_same_origin": first_status("the Worker's own origin, warm cache", &own, loads, false)?,
    }))
}

/// The whole widget section.
pub fn measure(tools: &Tools, url: &str, shop_site: &str, quick: bool) -> Result<Value, String> {
    let mut out = timings(url, shop_site, if quick { 5 } else { 20 })?;
    out["sizes"] = sizes()?;
    out["breakdown"] = breakdown(tools)?;
    Ok(out)
}

fn kb(v: &Value) -> String {
    format!("{:.1} KB", v.as_f64().unwrap_or(0.0) / 1024.0)
}

/// The widget section of `docs/benchmarks.md`.
pub fn markdown(w: &Value, line: &mut dyn FnMut(String)) {
    line("## Widget".into());
    line(String::new());
    let s = &w["sizes"];
    line(format!(
        "What a shop's page downloads: the loader it embeds, the main script and the wasm (named by content, \
         cached for a year) and its language's form texts (the largest pack, {}, counted). The first status \
         needs the loader alone: it reads availability and paints what the Worker says (`shared::say`); the \
         main script, the wasm and the texts bring the forms. Issue 19 asks for at most 14 KB brotli (goal \
         10 KB) and 8 KB before the first status; these figures are deterministic (the same on every run).",
        s["page_pack"].as_str().unwrap_or_default()
    ));
    line(String::new());
    line("| file | raw | gzip | brotli |".into());
    line("| --- | ---: | ---: | ---: |".into());
    let mut row = |label: &str, v: &Value| {
        line(format!("| {label} | {} | {} | {} |", kb(&v["raw"]), kb(&v["gzip"]), kb(&v["brotli"])));
    };
    row("`widget.js`, the loader (raw bytes count for Shopify: at most 10,000)", &s["loader"]);
    row("`restock.<hash>.js`, the main script", &s["main"]);
    row("`restock.<hash>.wasm`", &s["wasm"]);
    for (lang, p) in s["packs"].as_object().into_iter().flatten() {
        row(&format!("`restock.<hash>.{lang}.txt`, the {lang} texts"), p);
    }
    row("**JS and wasm** (issue 19: at most 14 KB brotli, goal 10 KB)", &s["code"]);
    row("**what a page downloads** (one language)", &s["page"]);
    row("everything, all seven languages", &s["all_languages"]);
    row("**what the first status needs** (the loader)", &s["first_status"]);
    line(String::new());
    line(format!("The loader is {} bytes raw.", s["loader"]["raw"]));
    line(String::new());
    let b = &w["breakdown"];
    if !b.is_null() {
        line(format!(
            "What the wasm's bytes are for (twiggy over the same code with names kept and no inlining between \
             functions: {} bytes, the shipped file {}):",
            b["attribution_bytes"], b["shipped_raw"]
        ));
        line(String::new());
        line("| part | bytes | share |".into());
        line("| --- | ---: | ---: |".into());
        for g in b["groups"].as_array().into_iter().flatten() {
            line(format!("| {} | {} | {}% |", g["part"].as_str().unwrap_or_default(), g["bytes"], g["percent"]));
        }
        line(String::new());
        line("The largest items:".into());
        line(String::new());
        line("| item | bytes |".into());
        line("| --- | ---: |".into());
        for t in b["top"].as_array().into_iter().flatten() {
            line(format!("| `{}` | {} |", t["item"].as_str().unwrap_or_default().replace('|', "\\|"), t["bytes"]));
        }
        line(String::new());
    }
    line(format!(
        "DOMContentLoaded → first status on screen (the `restock:first-status` mark), headless Chromium, {} runs; \
         each run is the median of its page loads:",
        RUNS
    ));
    line(String::new());
    line("| page | loads per run | run medians | median | min | max |".into());
    line("| --- | ---: | --- | ---: | ---: | ---: |".into());
    for (label, key) in [
        ("on the shop's own origin, warm cache", "first_status"),
        ("on the shop's own origin, cold cache (a new profile per load)", "first_status_cold"),
        ("on the Worker's own origin, warm cache", "first_status_same_origin"),
    ] {
        let fs = &w[key];
        let medians: Vec<String> =
            fs["runs"].as_array().into_iter().flatten().map(|r| format!("{} ms", r["median"])).collect();
        line(format!(
            "| {label} | {} | {} | **{} ms** | {} ms | {} ms |",
            fs["loads"],
            medians.join(", "),
            fs["median"],
            fs["min"],
            fs["max"]
        ));
    }
    line(String::new());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_names_lose_their_hashes() {
        assert_eq!(short("core[c5930c85a12de822]::str::converts::from_utf8"), "core::str::converts::from_utf8");
        assert_eq!(short("restock_widget::App::update::h54f0fe82b572608f"), "restock_widget::App::update");
        assert_eq!(short("call"), "call");
        assert_eq!(short("a::hxyz"), "a::hxyz");
    }

    #[test]
    fn every_item_falls_in_one_group() {
        let group = |n: &str| GROUPS.iter().position(|(_, is)| is(n)).map(|i| GROUPS[i].0);
        assert_eq!(group("data segment \".rodata\""), Some(GROUPS[0].0));
        assert_eq!(group("restock_widget::rules::apply::h1"), Some(GROUPS[1].0));
        assert_eq!(group("check"), Some(GROUPS[1].0));
        assert_eq!(group("restock_shared::input::Email::parse::h3"), Some(GROUPS[2].0));
        assert_eq!(group("alloc::raw_vec::RawVecInner<A>::grow_amortized::h4"), GROUPS.last().map(|g| g.0));
    }
}
