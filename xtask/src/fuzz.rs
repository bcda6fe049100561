//! `cargo xtask fuzz [seconds]`: runs every cargo-fuzz target in `fuzz/` for that long
//! (default 60 s each) and prints how many inputs each tried. `cargo xtask test` runs
//! the same with 15 s each. Works on the stable toolchain: cargo-fuzz's `-Z` flags are
//! allowed through `RUSTC_BOOTSTRAP=1`, and without a sanitizer (`-s none`: the code
//! forbids `unsafe`, so the checks that matter are panics and debug assertions, `-a`).

use std::process::Command;

use restock_e2e::server::repo_root;

use crate::step;
use crate::tools::{self, ensure_cargo_bin};

const CARGO_FUZZ_VERSION: &str = "0.13.2";
pub const TARGETS: [&str; 4] = ["parsers", "requests", "tokens", "platforms"];

/// One target's result.
#[derive(Debug)]
pub struct Outcome {
    pub target: &'static str,
    pub runs: u64,
    pub seconds: u64,
}

pub fn run_all(seconds: u64) -> Result<Vec<Outcome>, String> {
    let cargo_fuzz = ensure_cargo_bin("cargo-fuzz", "cargo-fuzz", CARGO_FUZZ_VERSION)?;
    let fuzz = repo_root().join("fuzz");
    step("building the fuzz targets (libFuzzer, debug assertions on)");
    tools::run(fuzz_cmd(&cargo_fuzz).args(["build", "-s", "none", "-a"]).current_dir(&fuzz))?;
    let mut outcomes = Vec::new();
    for target in TARGETS {
        step(&format!("fuzzing {target} for {seconds} s"));
        let corpus = fuzz.join("corpus").join(target);
        std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        let mut cmd = fuzz_cmd(&cargo_fuzz);
        cmd.args(["run", "-s", "none", "-a", target])
            .arg(&corpus)
            .arg(fuzz.join("seeds").join(target))
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .args(["-max_len=4096", "-print_final_stats=1"])
            .current_dir(&fuzz);
        if target == "requests" {
            cmd.arg(format!("-dict={}", fuzz.join("requests.dict").display()));
        }
        let out = cmd.output().map_err(|e| format!("cargo fuzz: {e}"))?;
        let log = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
            return Err(format!("fuzz target {target} failed: the input is in fuzz/artifacts/{target}/"));
        }
        let stat = |name: &str| {
            log.lines()
                .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim_start_matches(':').trim().parse::<u64>().ok()))
                .unwrap_or(0)
        };
        let outcome = Outcome { target, runs: stat("stat::number_of_executed_units"), seconds };
        eprintln!("{target}: {} inputs in {} s, no failure", outcome.runs, outcome.seconds);
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

fn fuzz_cmd(cargo_fuzz: &std::path::Path) -> Command {
    let mut cmd = Command::new(cargo_fuzz);
    cmd.arg("fuzz").env("RUSTC_BOOTSTRAP", "1");
    cmd
}

pub fn run(args: &[String]) -> Result<(), String> {
    let seconds = match args.first() {
        Some(s) => s.parse::<u64>().map_err(|_| format!("seconds must be a whole number, not {s:?}"))?,
        None => 60,
    };
    let outcomes = run_all(seconds)?;
    eprintln!("\n| target | inputs | seconds |\n| --- | ---: | ---: |");
    for o in &outcomes {
        eprintln!("| {} | {} | {} |", o.target, o.runs, o.seconds);
    }
    Ok(())
}
