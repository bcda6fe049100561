//! `cargo xtask dev`: everything on http://127.0.0.1:8787 until Ctrl-C.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use restock_e2e::server::{self, DevServer, Options, repo_root};
use restock_shared::Timestamp;
use serde_json::{Value, json};

use crate::tools::{self, Need};
use crate::{build, seed, step};

/// Local secrets, made once per checkout and kept in `.restock/dev.json`.
pub struct Credentials {
    pub operator_token: String,
    pub demo_key: String,
    pub token_secret: String,
}

/// `prefix` + 43 base64url characters from /dev/urandom.
pub fn random_token(prefix: &str) -> Result<String, String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = prefix.to_owned();
    let mut acc = 0u32;
    let mut bits = 0u32;
    for b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(char::from(A[((acc >> bits) & 63) as usize]));
        }
    }
    if bits > 0 {
        // The last partial group, as base64url does: 32 bytes are 43 characters.
        out.push(char::from(A[((acc << (6 - bits)) & 63) as usize]));
    }
    Ok(out)
}

impl Credentials {
    pub fn fresh() -> Result<Credentials, String> {
        Ok(Credentials {
            operator_token: random_token("op_")?,
            demo_key: random_token("sk_")?,
            token_secret: random_token("")?,
        })
    }

    fn load_or_create(path: &Path) -> Result<Credentials, String> {
        if let Ok(text) = std::fs::read_to_string(path) {
            let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let field =
                |k: &str| v[k].as_str().map(str::to_owned).ok_or_else(|| format!("{} lacks {k}", path.display()));
            return Ok(Credentials {
                operator_token: field("operator_token")?,
                demo_key: field("demo_key")?,
                token_secret: field("token_secret")?,
            });
        }
        let c = Credentials::fresh()?;
        let v = json!({ "operator_token": c.operator_token, "demo_key": c.demo_key, "token_secret": c.token_secret });
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, serde_json::to_string_pretty(&v).unwrap_or_default()).map_err(|e| e.to_string())?;
        Ok(c)
    }

    /// The `--var` pairs for the local Worker: development (the committed config is
    /// production) and these secrets.
    pub fn vars(&self) -> Vec<(String, String)> {
        vec![
            ("ENVIRONMENT".into(), "development".into()),
            ("OPERATOR_TOKEN".into(), self.operator_token.clone()),
            ("TOKEN_SECRET".into(), self.token_secret.clone()),
        ]
    }
}

pub fn now() -> Timestamp {
    Timestamp::from_millis(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0))
}

/// Migrates the local D1 under `state` and seeds the demo shop once.
pub fn prepare_state(state: &Path, demo_key: &str, origins: &[String]) -> Result<(), String> {
    step("applying D1 migrations (local)");
    std::fs::create_dir_all(state).map_err(|e| e.to_string())?;
    server::apply_migrations(state)?;
    let marker = state.join("restock-seeded");
    if !marker.exists() {
        step("seeding the demo shop");
        let file: PathBuf = state.join("seed-demo.sql");
        std::fs::write(&file, seed::demo_sql(now(), demo_key, origins)).map_err(|e| e.to_string())?;
        server::execute_sql(state, &file)?;
        std::fs::write(&marker, b"demo\n").map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The process group of the server, for the Ctrl-C handler.
pub static SERVER_PGID: AtomicU32 = AtomicU32::new(0);

/// On Ctrl-C: note it, and make sure the server group goes down with us.
pub fn install_ctrl_c(flag: Arc<AtomicBool>) {
    let _ = ctrlc::set_handler(move || {
        flag.store(true, Ordering::SeqCst);
        let pgid = SERVER_PGID.load(Ordering::SeqCst);
        if pgid != 0 {
            let _ = std::process::Command::new("kill").args(["-TERM", "--", &format!("-{pgid}")]).status();
        }
    });
}

pub fn run() -> Result<(), String> {
    let tools = tools::ensure(Need::Build)?;
    build::all(&tools)?;
    let root = repo_root();
    let creds = Credentials::load_or_create(&root.join(".restock/dev.json"))?;
    let operator_token =
        std::env::var("OPERATOR_TOKEN").ok().filter(|t| !t.is_empty()).unwrap_or(creds.operator_token.clone());
    let creds = Credentials { operator_token, ..creds };
    let port: u16 = std::env::var("RESTOCK_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8787);
    let base = format!("http://127.0.0.1:{port}");
    let origins = vec![base.clone(), format!("http://localhost:{port}")];
    prepare_state(&root.join(".restock/state"), &creds.demo_key, &origins)?;
    if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
        return Err(format!("port {port} is in use (another `cargo xtask dev`?); set RESTOCK_PORT to use another"));
    }
    step(&format!("starting the Worker under wrangler dev on {base}"));
    let stop = Arc::new(AtomicBool::new(false));
    install_ctrl_c(stop.clone());
    let options = Options {
        port,
        persist: root.join(".restock/state"),
        vars: creds.vars(),
        log: None,
        config: None,
        log_level: "info",
    };
    let mut server = DevServer::start(options, Duration::from_secs(90))?;
    SERVER_PGID.store(server.pid(), Ordering::SeqCst);
    eprintln!(
        "\nRestock is running:\n  Storefront   {base}/\n  Dashboard    {base}/dashboard/\n  Dev mailbox  {base}/dev/mailbox\n  API          {base}/v1/  (OpenAPI: {base}/v1/openapi.json)\n\n  Demo shop    demo\n  Shop key     {}\n  Operator     {}\n\nPress Ctrl-C to stop.",
        creds.demo_key, creds.operator_token
    );
    // workerd runs Cron triggers only when asked locally; tick them like the edge would.
    let mut next_tick = Instant::now() + Duration::from_secs(60);
    loop {
        if stop.load(Ordering::SeqCst) {
            server.stop();
            eprintln!("\nstopped.");
            return Ok(());
        }
        if !server.is_running() {
            return Err("wrangler dev exited".into());
        }
        if Instant::now() >= next_tick {
            next_tick = Instant::now() + Duration::from_secs(60);
            let client = restock_e2e::client::Client::new(&base);
            thread::spawn(move || client.try_request("GET", "/__scheduled?cron=*/5+*+*+*+*", &[], None));
        }
        thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_shape_the_worker_accepts() {
        let key = random_token("sk_").expect("random");
        assert_eq!(key.len(), 46, "sk_ + 43 base64url characters: {key}");
        assert!(key[3..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
}
