//! Project automation, run as `cargo xtask <task>` (alias in `.cargo/config.toml`).
//!
//! - `dev`: install what is missing, build release, migrate + seed local D1, serve
//!   on http://127.0.0.1:8787 until Ctrl-C.
//! - `test`: install what is missing (Chromium too), build release, run every test:
//!   native unit/property tests, the widget's tests in headless Chromium, and the
//!   end-to-end tests against the built Worker under `wrangler dev`.
//! - `build`: install and build only. `sizes`: print the widget/Worker byte sizes.
//! - `bench [--quick]`: the benchmarks, written to `docs/benchmarks.md` and `.json`.
//! - `fuzz [seconds]`: every cargo-fuzz target for that long (default 60 s each).
//! - `deploy [--dry-run]`: create the Cloudflare resources that are missing, write
//!   `edge/wrangler.deploy.toml`, migrate, set secrets, deploy (dry: print all that).

mod bench;
mod build;
mod deploy;
mod dev;
mod fixture;
mod fuzz;
mod seed;
mod test;
mod tools;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let rest = args.get(1..).unwrap_or(&[]);
    let result = match task {
        "dev" => dev::run(),
        "test" => test::run(rest),
        "build" => tools::ensure(tools::Need::Build).and_then(|t| build::all(&t)).map(|_| ()),
        "sizes" => build::print_sizes(),
        "fuzz" => fuzz::run(rest),
        "bench" => bench::run(rest),
        "deploy" => deploy::run(rest),
        _ => {
            eprintln!(
                "usage: cargo xtask <dev|test|build|sizes|fuzz|bench|deploy>\n\n  dev    start everything on http://127.0.0.1:8787\n  test   run every test (what CI runs)\n  build  install missing tools and build release artifacts\n  sizes  print widget and Worker sizes (raw/gzip/brotli)\n  fuzz   run every fuzz target [seconds each, default 60]\n  bench  measure sizes, speed and scale; write docs/benchmarks.md [--quick]\n  deploy create missing resources, migrate, set secrets, deploy [--dry-run: print only]"
            );
            return if task == "help" || task == "--help" { ExitCode::SUCCESS } else { ExitCode::from(2) };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a step heading.
pub fn step(what: &str) {
    eprintln!("\n==> {what}");
}
