//! Release builds: the widget (cargo -> wasm-bindgen -> wasm-opt -> esbuild into
//! `www/widget/`) and the Worker (worker-build into `edge/build/`). Each is skipped
//! when its outputs are newer than every input.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use restock_e2e::server::repo_root;
use restock_e2e::sizes::{self, Sizes};

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
    if !stale(&out_dir.join("widget.js"), &inputs) && out_dir.join("widget.wasm").exists() {
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
        .arg(out_dir.join("widget.wasm")))?;
    std::fs::copy(root.join("widget/js/boot.js"), glue.join("boot.js")).map_err(|e| format!("boot.js: {e}"))?;
    run(Command::new(tools.node_bin.join("esbuild"))
        .arg(glue.join("boot.js"))
        .args([
            "--bundle",
            "--format=iife",
            "--minify",
            "--target=es2020",
            "--legal-comments=none",
            "--log-level=warning",
        ])
        .arg(format!("--outfile={}", out_dir.join("widget.js").display())))?;
    Ok(())
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

/// Builds both and reports their sizes.
pub fn all(tools: &Tools) -> Result<(), String> {
    widget(tools)?;
    worker(tools)?;
    print_sizes()
}

/// (label, file) pairs whose sizes we report.
fn artifacts(root: &Path) -> [(&'static str, PathBuf); 4] {
    [
        ("widget.js", root.join("www/widget/widget.js")),
        ("widget.wasm", root.join("www/widget/widget.wasm")),
        ("worker index.js", root.join("edge/build/index.js")),
        ("worker index_bg.wasm", root.join("edge/build/index_bg.wasm")),
    ]
}

fn kb(n: usize) -> String {
    format!("{:.1} KB", n as f64 / 1024.0)
}

pub fn print_sizes() -> Result<(), String> {
    let root = repo_root();
    let mut rows = Vec::new();
    for (label, path) in artifacts(&root) {
        rows.push((label, sizes::measure(&path)?));
    }
    eprintln!("\n{:<22} {:>10} {:>10} {:>10}", "artifact", "raw", "gzip", "brotli");
    for (label, s) in &rows {
        eprintln!("{label:<22} {:>10} {:>10} {:>10}", kb(s.raw), kb(s.gzip), kb(s.brotli));
    }
    let widget: Sizes = rows[0].1 + rows[1].1;
    let worker: Sizes = rows[2].1 + rows[3].1;
    eprintln!("{:<22} {:>10} {:>10} {:>10}", "widget total", kb(widget.raw), kb(widget.gzip), kb(widget.brotli));
    eprintln!("{:<22} {:>10} {:>10} {:>10}", "worker total", kb(worker.raw), kb(worker.gzip), kb(worker.brotli));
    Ok(())
}
