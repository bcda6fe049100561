//! The widget's size budget, checked on the built release bytes (stable, unlike
//! timings): `widget.js` + `widget.wasm` together at most 30 KB brotli-compressed.

use restock_e2e::server::repo_root;
use restock_e2e::sizes::measure;

const BUDGET_BROTLI: usize = 30 * 1024;

#[test]
fn widget_fits_its_brotli_budget() {
    let dir = repo_root().join("www/widget");
    let js = measure(&dir.join("widget.js")).unwrap_or_else(|e| panic!("{e} (cargo xtask build first)"));
    let wasm = measure(&dir.join("widget.wasm")).unwrap_or_else(|e| panic!("{e} (cargo xtask build first)"));
    let total = js + wasm;
    assert!(
        total.brotli <= BUDGET_BROTLI,
        "widget is {} bytes brotli (js {} + wasm {}), over the {BUDGET_BROTLI}-byte budget",
        total.brotli,
        js.brotli,
        wasm.brotli
    );
    // A guard against measuring the wrong files (e.g. an empty build).
    assert!(wasm.raw > 10_000 && js.raw > 1_000, "suspiciously small widget: {js:?} {wasm:?}");
}
