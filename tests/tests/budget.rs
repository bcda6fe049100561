//! The widget's size budgets, checked on the built release bytes (stable, unlike
//! timings):
//! - the script a merchant embeds (`widget.js`, the loader) is at most 10,000 bytes
//!   raw: Shopify's theme-check (`AssetSizeAppBlockJavaScript`) counts raw bytes;
//! - loader, main script and wasm together are at most 30 KB brotli-compressed.

use restock_e2e::server::repo_root;
use restock_e2e::sizes::{WidgetFiles, measure};

const LOADER_RAW: usize = 10_000;
const BUDGET_BROTLI: usize = 30 * 1024;

fn files() -> WidgetFiles {
    WidgetFiles::read(&repo_root().join("www/widget")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_embedded_script_fits_shopifys_app_block_limit() {
    let loader = measure(&files().loader).unwrap_or_else(|e| panic!("{e}"));
    assert!(loader.raw <= LOADER_RAW, "widget.js is {} bytes raw, over {LOADER_RAW}", loader.raw);
    assert!(loader.raw > 200, "suspiciously small loader: {loader:?}");
}

#[test]
fn widget_fits_its_brotli_budget() {
    let f = files();
    let [loader, main, wasm] = [&f.loader, &f.main, &f.wasm].map(|p| measure(p).unwrap_or_else(|e| panic!("{e}")));
    let total = loader + main + wasm;
    assert!(
        total.brotli <= BUDGET_BROTLI,
        "widget is {} bytes brotli (loader {} + main {} + wasm {}), over the {BUDGET_BROTLI}-byte budget",
        total.brotli,
        loader.brotli,
        main.brotli,
        wasm.brotli
    );
    // A guard against measuring the wrong files (e.g. an empty build).
    assert!(wasm.raw > 10_000 && main.raw > 1_000, "suspiciously small widget: {main:?} {wasm:?}");
}

#[test]
fn hashed_files_are_named_by_their_content() {
    let f = files();
    for path in [&f.main, &f.wasm] {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let hash = name.split('.').nth(1).unwrap_or_default();
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let digest = restock_e2e::sizes::sha256_hex(&bytes);
        assert!(hash.len() == 12 && digest.starts_with(hash), "{name} is not named by its content ({digest})");
    }
    let loader = std::fs::read_to_string(&f.loader).unwrap_or_default();
    for path in [&f.main, &f.wasm] {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        assert!(loader.contains(&name), "the loader names {name}");
    }
}
