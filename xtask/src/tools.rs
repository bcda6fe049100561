//! Installing what the project needs, only when it is missing: the wasm target, the
//! wasm-bindgen CLI at exactly the version in Cargo.lock, worker-build, the pinned npm
//! tooling (wrangler, Node 24, wasm-opt, esbuild, axe-core) and, for tests, Debian's
//! Chromium and chromedriver.

use std::path::{Path, PathBuf};
use std::process::Command;

use restock_e2e::server::repo_root;

use crate::step;

pub const WORKER_BUILD_VERSION: &str = "0.8.7";

/// What a task needs installed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Build,
    Test,
}

/// Where the tools are.
#[derive(Debug, Clone)]
pub struct Tools {
    pub wasm_bindgen: PathBuf,
    pub test_runner: PathBuf,
    pub worker_build: PathBuf,
    /// `node_modules/.bin` (wrangler, node 24, wasm-opt, esbuild).
    pub node_bin: PathBuf,
    pub chromedriver: PathBuf,
}

/// Runs a command, echoing it; an error says which command failed.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd.status().map_err(|e| format!("{}: {e}", describe(cmd)))?;
    if status.success() { Ok(()) } else { Err(format!("`{}` failed ({status})", describe(cmd))) }
}

pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"))
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The exact wasm-bindgen version the workspace locks (the CLI must match it).
pub fn locked_version(package: &str) -> Result<String, String> {
    let lock = std::fs::read_to_string(repo_root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock.find(&needle).ok_or_else(|| format!("{package} is not in Cargo.lock"))? + needle.len();
    let end = lock[start..].find('"').ok_or("malformed Cargo.lock")? + start;
    Ok(lock[start..end].to_owned())
}

/// A cargo-installed binary at exactly `version`, installing it when missing or different.
pub fn ensure_cargo_bin(bin: &str, krate: &str, version: &str) -> Result<PathBuf, String> {
    let path = cargo_home().join("bin").join(bin);
    let current = output(Command::new(&path).arg("--version")).unwrap_or_default();
    let matches = current.split_whitespace().any(|word| word == version);
    if !matches {
        step(&format!("installing {krate} {version} (once per machine)"));
        // No --locked: the crates index here can lag a crate's lockfile.
        run(cargo().args(["install", krate, "--version", version]))?;
    }
    Ok(path)
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        step("adding the wasm32-unknown-unknown target");
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

/// Installs the npm tooling when node_modules does not match package-lock.json.
///
/// `npm install --no-save` rather than `npm ci`: the registry this project builds
/// against has no darwin/windows builds of workerd, so a lockfile made here lacks those
/// optional packages and `npm ci` refuses it; `install` follows the lock and leaves it
/// unchanged.
fn ensure_npm(root: &Path) -> Result<PathBuf, String> {
    let lock = std::fs::read(root.join("package-lock.json")).map_err(|e| format!("package-lock.json: {e}"))?;
    let want = crate::seed::sha256_hex(&lock);
    let stamp = root.join("node_modules/.restock-lock-sha256");
    let bin = root.join("node_modules/.bin");
    let complete = ["wrangler", "node", "wasm-opt", "esbuild"].iter().all(|b| bin.join(b).exists());
    if !complete || std::fs::read_to_string(&stamp).ok().as_deref() != Some(want.as_str()) {
        step("installing npm tooling (wrangler, Node 24, wasm-opt, esbuild, axe-core)");
        run(Command::new("npm").args(["install", "--no-save", "--no-audit", "--no-fund"]).current_dir(root))?;
        std::fs::write(&stamp, &want).map_err(|e| format!("{}: {e}", stamp.display()))?;
    }
    Ok(bin)
}

/// A Debian package's binary (`bin` on PATH), installed with apt when missing.
pub fn ensure_apt(bin: &str, package: &str) -> Result<(), String> {
    if output(Command::new("sh").args(["-c", &format!("command -v {bin}")])).is_some_and(|p| !p.trim().is_empty()) {
        return Ok(());
    }
    step(&format!("installing {package} from Debian"));
    apt_install(&[package])
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    let root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    let apt = |args: &[&str]| {
        let mut cmd = if root { Command::new("apt-get") } else { Command::new("sudo") };
        if !root {
            cmd.args(["-n", "apt-get"]);
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run(&mut apt(&["update"]))?;
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend_from_slice(packages);
    run(&mut apt(&install))
}

/// Debian's Chromium and chromedriver (browser downloaders cannot reach their hosts here).
fn ensure_browser() -> Result<PathBuf, String> {
    let chromium = Path::new("/usr/bin/chromium");
    let driver = Path::new("/usr/bin/chromedriver");
    if chromium.exists() && driver.exists() {
        return Ok(driver.to_path_buf());
    }
    step("installing Chromium and chromedriver from Debian");
    apt_install(&["chromium", "chromium-driver"])?;
    Ok(driver.to_path_buf())
}

pub const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// Schemathesis in a virtualenv under `target/` (from PyPI, once per machine).
pub fn ensure_schemathesis() -> Result<PathBuf, String> {
    let venv = repo_root().join("target/schemathesis");
    let st = venv.join("bin/st");
    let current = output(Command::new(&st).arg("--version")).unwrap_or_default();
    if !current.contains(SCHEMATHESIS_VERSION) {
        step(&format!("installing schemathesis {SCHEMATHESIS_VERSION} (once per machine)"));
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
        ]))?;
    }
    Ok(st)
}

/// Installs whatever `need` requires and is missing; returns where the tools are.
pub fn ensure(need: Need) -> Result<Tools, String> {
    let root = repo_root();
    ensure_wasm_target()?;
    let version = locked_version("wasm-bindgen")?;
    let wasm_bindgen = ensure_cargo_bin("wasm-bindgen", "wasm-bindgen-cli", &version)?;
    let test_runner = wasm_bindgen.with_file_name("wasm-bindgen-test-runner");
    let worker_build = ensure_cargo_bin("worker-build", "worker-build", WORKER_BUILD_VERSION)?;
    let node_bin = ensure_npm(&root)?;
    let chromedriver = if need == Need::Test { ensure_browser()? } else { PathBuf::from("/usr/bin/chromedriver") };
    Ok(Tools { wasm_bindgen, test_runner, worker_build, node_bin, chromedriver })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locked_wasm_bindgen_is_the_workspace_pin() {
        let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml")).expect("Cargo.toml");
        let version = locked_version("wasm-bindgen").expect("locked");
        assert!(manifest.contains(&format!("wasm-bindgen = \"={version}\"")), "Cargo.toml pins {version}");
    }
}
