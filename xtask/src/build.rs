//! Release builds: the widget (cargo -> wasm-bindgen -> wasm-opt -> esbuild into
//! `www/widget/`: the loader `widget.js`, content-hashed main script and wasm, and
//! `manifest.json` naming them) and the Worker (worker-build into `edge/build/`). Each is skipped
//! when its outputs are newer than every input.

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
    inputs.extend(["widget/src", "widget/js", "widget/Cargo.toml"].iter().map(|p| root.join(p)));
    if !stale(&out_dir.join("manifest.json"), &inputs) && WidgetFiles::read(&out_dir).is_ok_and(|f| f.wasm.exists()) {
        eprintln!("widget is up to date");
        return Ok(());
    }
    step("building the widget (release)");
    run(Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--profile", "widget", "--package", "restock-widget", "--target", "wasm32-unknown-unknown"])
        .current_dir(&root))?;
    let glue = root.join("target/widget");
    std::fs::create_dir_all(&glue).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    run(Command::new(&tools.wasm_bindgen)
        .args(["--target", "web", "--no-typescript", "--out-name", "glue", "--out-dir"])
        .arg(&glue)
        .arg(root.join("target/wasm32-unknown-unknown/widget/restock_widget.wasm")))?;
    run(Command::new(tools.node_bin.join("wasm-opt"))
        .args([
            "-Oz",
            "--strip-debug",
            "--strip-producers",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
        ])
        .arg(glue.join("glue_bg.wasm"))
        .arg("-o")
        .arg(glue.join("widget.wasm")))?;
    std::fs::copy(root.join("widget/js/boot.js"), glue.join("boot.js")).map_err(|e| format!("boot.js: {e}"))?;
    esbuild(tools, &glue.join("boot.js"), &glue.join("main.js"), &[])?;
    // The main script and the wasm are named by their content, so they can be cached
    // for a year (`www/_headers`); the loader at the stable URL names them.
    let main = hashed(&glue.join("main.js"), &out_dir, "js")?;
    let wasm = hashed(&glue.join("widget.wasm"), &out_dir, "wasm")?;
    let defines = [format!("--define:MAIN=\"{main}\""), format!("--define:WASM=\"{wasm}\"")];
    esbuild(tools, &root.join("widget/js/loader.js"), &out_dir.join("widget.js"), &defines)?;
    // Keep the previous build's files too: a loader cached before a deploy (five
    // minutes at most) still finds what it names. Anything older goes.
    let previous = WidgetFiles::read(&out_dir).ok();
    let mut keep = vec![main.clone(), wasm.clone()];
    if let Some(p) = &previous {
        for f in [&p.main, &p.wasm] {
            keep.extend(f.file_name().map(|n| n.to_string_lossy().into_owned()));
        }
    }
    for entry in std::fs::read_dir(&out_dir).map_err(|e| e.to_string())?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("restock.") && !keep.contains(&name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let manifest = format!("{{\"loader\":\"widget.js\",\"main\":\"{main}\",\"wasm\":\"{wasm}\"}}\n");
    std::fs::write(out_dir.join("manifest.json"), manifest).map_err(|e| format!("manifest.json: {e}"))?;
    // Files of builds before hashed names.
    let _ = std::fs::remove_file(out_dir.join("widget.wasm"));
    Ok(())
}

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
            // The glue's fallback wasm URL (import.meta.url) is never used: the
            // loader hands over the download it started.
            "--log-override:empty-import-meta=silent",
        ])
        .args(extra)
        .arg(format!("--outfile={}", out.display())))
}

/// Copies `file` into `dir` as `restock.<first 12 hex of its SHA-256>.<ext>`; returns the name.
fn hashed(file: &Path, dir: &Path, ext: &str) -> Result<String, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let hash = crate::seed::sha256_hex(&bytes);
    let name = format!("restock.{}.{ext}", &hash[..12]);
    std::fs::write(dir.join(&name), &bytes).map_err(|e| format!("{name}: {e}"))?;
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

/// (label, file) pairs whose sizes we report.
fn artifacts(root: &Path) -> Result<[(&'static str, PathBuf); 5], String> {
    let widget = WidgetFiles::read(&root.join("www/widget"))?;
    Ok([
        ("widget.js (loader)", widget.loader),
        ("widget main script", widget.main),
        ("widget wasm", widget.wasm),
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
    let widget: Sizes = rows[0].1 + rows[1].1 + rows[2].1;
    let worker: Sizes = rows[3].1 + rows[4].1;
    eprintln!("{:<22} {:>10} {:>10} {:>10}", "widget total", kb(widget.raw), kb(widget.gzip), kb(widget.brotli));
    eprintln!("{:<22} {:>10} {:>10} {:>10}", "worker total", kb(worker.raw), kb(worker.gzip), kb(worker.brotli));
    Ok(())
}
