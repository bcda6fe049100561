//! Release builds: the widget (cargo -> wasm-bindgen -> wasm-opt -> esbuild into
//! `www/widget/`: the loader `widget.js`, content-hashed main script, wasm and one text
//! pack per language, and `manifest.json` naming them) and the Worker (worker-build into
//! `edge/build/`). Each is skipped when its outputs are newer than every input.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use restock_e2e::server::repo_root;
use restock_e2e::sizes::{self, Sizes, WidgetFiles};

use crate::step;
use crate::tools::{Tools, run};

fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_dir() {
        std::fs::read_dir(path).ok()?.flatten().filter_map(|e| newest(&e.path())).max()
    } else {
        meta.modified().ok()
    }
}

/// Whether `output` is missing or older than any of `inputs`.
fn stale(output: &Path, inputs: &[PathBuf]) -> bool {
    let Some(built) = newest(output) else {
        return true;
    };
    inputs.iter().filter_map(|p| newest(p)).any(|t| t > built)
}

fn common_inputs(root: &Path) -> Vec<PathBuf> {
    ["Cargo.toml", "Cargo.lock", "shared/src", "shared/Cargo.toml"].iter().map(|p| root.join(p)).collect()
}

pub fn widget(tools: &Tools) -> Result<(), String> {
    let root = repo_root();
    let out_dir = root.join("www/widget");
    let mut inputs = common_inputs(&root);
    inputs.extend(["widget/src", "widget/js", "widget/Cargo.toml", "xtask/src/build.rs"].iter().map(|p| root.join(p)));
    if !stale(&out_dir.join("manifest.json"), &inputs) && WidgetFiles::read(&out_dir).is_ok_and(|f| f.wasm.exists()) {
        eprintln!("widget is up to date");
        return Ok(());
    }
    step("building the widget (release)");
    // Without the `std` feature the widget is no_std, with a panic handler that traps:
    // std's would link message formatting (see widget/src/lib.rs).
    run(Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--profile", "widget", "--package", "restock-widget", "--target", "wasm32-unknown-unknown"])
        .args(["--no-default-features"])
        .current_dir(&root))?;
    let glue = root.join("target/widget");
    std::fs::create_dir_all(&glue).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(glue.join("snippets"));
    // The `bundler` target: the exports' shims only; `boot.js` instantiates the wasm
    // itself.
    run(Command::new(&tools.wasm_bindgen)
        .args(["--target", "bundler", "--no-typescript", "--out-name", "glue", "--out-dir"])
        .arg(&glue)
        .arg(root.join("target/wasm32-unknown-unknown/widget/restock_widget.wasm")))?;
    run(Command::new(tools.node_bin.join("wasm-opt"))
        .args(WASM_OPT)
        .arg(glue.join("glue_bg.wasm"))
        .arg("-o")
        .arg(glue.join("widget.wasm")))?;
    for js in ["boot.js", "dom.js"] {
        std::fs::copy(root.join("widget/js").join(js), glue.join(js)).map_err(|e| format!("{js}: {e}"))?;
    }
    esbuild(tools, &glue.join("boot.js"), &glue.join("main.js"), &text_defines())?;
    // The main script, the wasm and the language packs are named by their content, so
    // they can be cached for a year (`www/_headers`); the loader at the stable URL names
    // them.
    let main = hashed(&std::fs::read(glue.join("main.js")).map_err(|e| format!("main.js: {e}"))?, &out_dir, "js")?;
    let wasm =
        hashed(&std::fs::read(glue.join("widget.wasm")).map_err(|e| format!("widget.wasm: {e}"))?, &out_dir, "wasm")?;
    let mut texts = serde_json::Map::new();
    for lang in restock_shared::Lang::ALL {
        let pack = restock_widget::i18n::pack(lang);
        let name = hashed(pack.as_bytes(), &out_dir, &format!("{}.txt", lang.tag()))?;
        texts.insert(lang.tag().into(), name.into());
    }
    let packs = serde_json::Value::Object(texts.clone()).to_string();
    let defines = [
        format!("--define:MAIN=\"{main}\""),
        format!("--define:WASM=\"{wasm}\""),
        format!("--define:PACKS={packs}"),
        format!("--define:RUST={}", loader_config()),
    ];
    esbuild(tools, &root.join("widget/js/loader.js"), &out_dir.join("widget.js"), &defines)?;
    // Keep the previous build's files too: a loader cached before a deploy (five
    // minutes at most) still finds what it names. Anything older goes.
    let previous = WidgetFiles::read(&out_dir).ok();
    let mut keep = vec![main.clone(), wasm.clone()];
    keep.extend(texts.values().filter_map(|v| v.as_str().map(str::to_owned)));
    if let Some(p) = &previous {
        for f in [&p.main, &p.wasm].into_iter().chain(p.texts.iter().map(|(_, f)| f)) {
            keep.extend(f.file_name().map(|n| n.to_string_lossy().into_owned()));
        }
    }
    for entry in std::fs::read_dir(&out_dir).map_err(|e| e.to_string())?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("restock.") && !keep.contains(&name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let manifest = serde_json::json!({ "loader": "widget.js", "main": main, "wasm": wasm, "texts": texts });
    std::fs::write(out_dir.join("manifest.json"), format!("{manifest}\n"))
        .map_err(|e| format!("manifest.json: {e}"))?;
    // Files of builds before hashed names.
    let _ = std::fs::remove_file(out_dir.join("widget.wasm"));
    Ok(())
}

/// What Rust decides for the loader (`widget/js/page.js`'s `C`), from the one place
/// each is defined: the markup and stylesheet (`view`), the ids of the texts that read
/// in the language's direction, the most SKUs and variants a read asks for, the
/// group-token codes the Worker refuses a token with, and the SKU rule.
pub fn loader_config() -> serde_json::Value {
    use restock_widget::view;
    serde_json::json!({
        "style": view::STYLE,
        "parts": view::PARTS,
        "texts": view::TEXTS,
        "batch": restock_widget::BATCH,
        "codes": restock_shared::groups::TokenError::CODES,
        "sku": restock_shared::Sku::PATTERN,
    })
}

/// The main script's `T.<Name>`: each form text's index in the language packs
/// (`restock_widget::i18n::T`), replaced by esbuild with the number, so `dom.js` and the
/// packs take the indexes from the one table.
pub fn text_defines() -> Vec<String> {
    use restock_widget::i18n::T;
    T::NAMES.iter().enumerate().map(|(i, name)| format!("--define:T.{name}={i}")).collect()
}

/// wasm-opt for the widget: smallest code (`-Oz`), no names, producers or features
/// sections, and the post-MVP features every browser the widget supports has (they make
/// it smaller).
pub const WASM_OPT: &[&str] = &[
    "-Oz",
    "--strip-debug",
    "--strip-producers",
    "--strip-target-features",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Bundles `entry` into one minified IIFE at `out`.
fn esbuild(tools: &Tools, entry: &Path, out: &Path, extra: &[String]) -> Result<(), String> {
    run(Command::new(tools.node_bin.join("esbuild"))
        .arg(entry)
        .args([
            "--bundle",
            "--format=iife",
            "--minify",
            "--target=es2020",
            "--legal-comments=none",
            "--log-level=warning",
        ])
        .args(extra)
        .arg(format!("--outfile={}", out.display())))
}

/// Writes `bytes` into `dir` as `restock.<first 12 hex of their SHA-256>.<ext>`; returns
/// the name.
fn hashed(bytes: &[u8], dir: &Path, ext: &str) -> Result<String, String> {
    let hash = crate::seed::sha256_hex(bytes);
    let name = format!("restock.{}.{ext}", &hash[..12]);
    std::fs::write(dir.join(&name), bytes).map_err(|e| format!("{name}: {e}"))?;
    Ok(name)
}

pub fn worker(tools: &Tools) -> Result<(), String> {
    let root = repo_root();
    let mut inputs = common_inputs(&root);
    inputs.extend(["edge/src", "edge/Cargo.toml", "edge/openapi.json"].iter().map(|p| root.join(p)));
    if !stale(&root.join("edge/build/index_bg.wasm"), &inputs) {
        eprintln!("worker is up to date");
        return Ok(());
    }
    step("building the Worker (release, worker-build)");
    // worker-build downloads its helpers unless pointed at local ones.
    run(Command::new(&tools.worker_build)
        .arg("--release")
        .current_dir(root.join("edge"))
        .env("WASM_BINDGEN_BIN", &tools.wasm_bindgen)
        .env("WASM_OPT_BIN", tools.node_bin.join("wasm-opt"))
        .env("ESBUILD_BIN", tools.node_bin.join("esbuild")))
}

/// The benchmark's workers-rs baseline (`bench/baseline-rs/`), built like the Worker.
pub fn baseline_rs(tools: &Tools) -> Result<(), String> {
    let root = repo_root();
    let dir = root.join("bench/baseline-rs");
    let mut inputs = common_inputs(&root);
    inputs.extend([dir.join("src"), dir.join("Cargo.toml")]);
    if !stale(&dir.join("build/index_bg.wasm"), &inputs) {
        return Ok(());
    }
    step("building the workers-rs baseline (release, worker-build)");
    run(Command::new(&tools.worker_build)
        .arg("--release")
        .current_dir(dir)
        .env("WASM_BINDGEN_BIN", &tools.wasm_bindgen)
        .env("WASM_OPT_BIN", tools.node_bin.join("wasm-opt"))
        .env("ESBUILD_BIN", tools.node_bin.join("esbuild")))
}

/// Builds both and reports their sizes.
pub fn all(tools: &Tools) -> Result<(), String> {
    widget(tools)?;
    worker(tools)?;
    print_sizes()
}

/// (label, file) pairs whose sizes we report: the widget's files (with the largest
/// language pack, which a page downloads one of) and the Worker's.
fn artifacts(root: &Path) -> Result<Vec<(&'static str, PathBuf)>, String> {
    let widget = WidgetFiles::read(&root.join("www/widget"))?;
    let largest = widget
        .texts
        .iter()
        .max_by_key(|(_, p)| sizes::measure(p).map(|s| s.brotli).unwrap_or(0))
        .map(|(_, p)| p.clone())
        .ok_or("no language packs in the widget's manifest")?;
    Ok(vec![
        ("widget.js (loader)", widget.loader),
        ("widget main script", widget.main),
        ("widget wasm", widget.wasm),
        ("widget texts (largest)", largest),
        ("worker index.js", root.join("edge/build/index.js")),
        ("worker index_bg.wasm", root.join("edge/build/index_bg.wasm")),
    ])
}

fn kb(n: usize) -> String {
    format!("{:.1} KB", n as f64 / 1024.0)
}

pub fn print_sizes() -> Result<(), String> {
    let root = repo_root();
    let mut rows = Vec::new();
    for (label, path) in artifacts(&root)? {
        rows.push((label, sizes::measure(&path)?));
    }
    eprintln!("\n{:<22} {:>10} {:>10} {:>10}", "artifact", "raw", "gzip", "brotli");
    for (label, s) in &rows {
        eprintln!("{label:<22} {:>10} {:>10} {:>10}", kb(s.raw), kb(s.gzip), kb(s.brotli));
    }
    let total = |range: std::ops::Range<usize>| rows[range].iter().fold(Sizes::default(), |t, (_, s)| t + *s);
    let (widget, worker) = (total(0..4), total(4..6));
    eprintln!("{:<22} {:>10} {:>10} {:>10}", "widget, a page", kb(widget.raw), kb(widget.gzip), kb(widget.brotli));
    eprintln!("{:<22} {:>10} {:>10} {:>10}", "worker total", kb(worker.raw), kb(worker.gzip), kb(worker.brotli));
    Ok(())
}
