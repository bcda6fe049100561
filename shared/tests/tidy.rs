//! Architecture invariant: the domain crate does no I/O, so it names no I/O crate.

use std::fs;
use std::path::Path;

const FORBIDDEN: &[&str] =
    &["worker", "web-sys", "web_sys", "wasm-bindgen", "wasm_bindgen", "js-sys", "js_sys", "gloo", "getrandom"];

fn check_file(path: &Path, offenders: &mut Vec<String>) {
    let text = fs::read_to_string(path).unwrap_or_default();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for name in FORBIDDEN {
            let hit = code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).any(|word| word == *name);
            if hit {
                offenders.push(format!("{}:{}: names `{name}`", path.display(), n + 1));
            }
        }
        for clock in ["SystemTime", "Instant::now", "thread_rng"] {
            if code.contains(clock) {
                offenders.push(format!("{}:{}: reads a clock or randomness (`{clock}`)", path.display(), n + 1));
            }
        }
    }
}

fn walk(dir: &Path, offenders: &mut Vec<String>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, offenders);
        } else if path.extension().is_some_and(|e| e == "rs") {
            check_file(&path, offenders);
        }
    }
}

#[test]
fn shared_names_no_io_crate_and_reads_no_clock() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut offenders = Vec::new();
    walk(&root.join("src"), &mut offenders);
    check_file(&root.join("Cargo.toml"), &mut offenders);
    assert!(offenders.is_empty(), "shared/ must stay pure:\n{}", offenders.join("\n"));
}

#[test]
fn the_tidy_check_itself_catches_an_offender() {
    let dir = std::env::temp_dir().join(format!("restock-tidy-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("bad.rs");
    fs::write(&file, "use web_sys::Window;\nfn now() { std::time::SystemTime::now(); }\n").expect("write");
    let mut offenders = Vec::new();
    check_file(&file, &mut offenders);
    fs::remove_dir_all(&dir).ok();
    assert_eq!(offenders.len(), 2, "{offenders:?}");
}
