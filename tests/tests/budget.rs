//! The widget's size budgets, checked on the built release bytes (stable, unlike
//! timings):
//! - the script a merchant embeds (`widget.js`, the loader) is at most 10,000 bytes
//!   raw: Shopify's theme-check (`AssetSizeAppBlockJavaScript`) counts raw bytes;
//! - what a page downloads for the widget (the loader, the main script, the wasm and
//!   its language's texts: all of it is needed for the first status) stays within
//!   `PAGE_BROTLI`, measured brotli-compressed with the largest language pack. Issue 19
//!   asks for 14 KB (8 KB before the first status, 10 KB as the goal); where the
//!   widget stands against that is in docs/benchmarks.md, "Widget".
//! - each part stays within its own budget, so a regression names its file.

use restock_e2e::server::repo_root;
use restock_e2e::sizes::{Sizes, WidgetFiles, measure};

const LOADER_RAW: usize = 10_000;
const PAGE_BROTLI: usize = 17 * 1024;
const MAIN_BROTLI: usize = 4 * 1024;
const WASM_BROTLI: usize = 12_500;
const PACK_BROTLI: usize = 700;

fn files() -> WidgetFiles {
    WidgetFiles::read(&repo_root().join("www/widget")).unwrap_or_else(|e| panic!("{e}"))
}

fn size(path: &std::path::Path) -> Sizes {
    measure(path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_embedded_script_fits_shopifys_app_block_limit() {
    let loader = size(&files().loader);
    assert!(loader.raw <= LOADER_RAW, "widget.js is {} bytes raw, over {LOADER_RAW}", loader.raw);
    assert!(loader.raw > 200, "suspiciously small loader: {loader:?}");
}

#[test]
fn a_page_downloads_the_widget_within_its_brotli_budget() {
    let f = files();
    let [loader, main, wasm] = [&f.loader, &f.main, &f.wasm].map(|p| size(p));
    assert_eq!(f.texts.len(), 7, "a pack per language: {:?}", f.texts);
    let (lang, pack) = f
        .texts
        .iter()
        .map(|(lang, p)| (lang.clone(), size(p)))
        .max_by_key(|(_, s)| s.brotli)
        .unwrap_or_else(|| panic!("no language packs"));
    let page = loader + main + wasm + pack;
    assert!(
        page.brotli <= PAGE_BROTLI,
        "a page downloads {} bytes brotli (loader {} + main {} + wasm {} + {lang} texts {}), over {PAGE_BROTLI}",
        page.brotli,
        loader.brotli,
        main.brotli,
        wasm.brotli,
        pack.brotli
    );
    assert!(main.brotli <= MAIN_BROTLI, "main script {} bytes brotli, over {MAIN_BROTLI}", main.brotli);
    assert!(wasm.brotli <= WASM_BROTLI, "wasm {} bytes brotli, over {WASM_BROTLI}", wasm.brotli);
    for (lang, p) in &f.texts {
        let s = size(p);
        assert!(s.brotli <= PACK_BROTLI, "{lang} texts {} bytes brotli, over {PACK_BROTLI}", s.brotli);
        assert!(s.raw > 500, "suspiciously small {lang} pack: {s:?}");
    }
    // A guard against measuring the wrong files (e.g. an empty build).
    assert!(wasm.raw > 10_000 && main.raw > 1_000, "suspiciously small widget: {main:?} {wasm:?}");
}

#[test]
fn hashed_files_are_named_by_their_content_and_the_loader_names_them() {
    let f = files();
    let loader = std::fs::read_to_string(&f.loader).unwrap_or_default();
    for path in [&f.main, &f.wasm].into_iter().chain(f.texts.iter().map(|(_, p)| p)) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let hash = name.split('.').nth(1).unwrap_or_default();
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let digest = restock_e2e::sizes::sha256_hex(&bytes);
        assert!(hash.len() == 12 && digest.starts_with(hash), "{name} is not named by its content ({digest})");
        assert!(name.starts_with("restock."), "{name}: `_headers` caches `restock.*` for a year");
        assert!(loader.contains(&name), "the loader names {name}");
    }
}

#[test]
fn each_language_pack_is_that_languages_texts() {
    let f = files();
    for (lang, path) in &f.texts {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let first = text.split('\u{1f}').next().unwrap_or_default();
        let checking = match lang.as_str() {
            "en" => "Checking stock…",
            "de" => "Lagerbestand wird geprüft…",
            "fr" => "Vérification du stock…",
            "es" => "Comprobando existencias…",
            "ja" => "在庫を確認中…",
            "ar" => "جارٍ التحقق من المخزون…",
            "he" => "בודקים את המלאי…",
            other => panic!("a pack for an unknown language {other}"),
        };
        assert_eq!(first, checking, "{lang}");
        assert!(path.to_string_lossy().ends_with(&format!(".{lang}.txt")), "{}", path.display());
    }
}
