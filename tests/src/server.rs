//! Running the built Worker under `wrangler dev`, with fresh or persisted local state.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The repository root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// `wrangler <args>` run from `edge/` with the project's Node 24 first on PATH
/// (npm's `node` devDependency) and telemetry off.
pub fn wrangler(args: &[&str]) -> Command {
    let root = repo_root();
    let bin = root.join("node_modules/.bin");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new(bin.join("wrangler"));
    cmd.args(args)
        .current_dir(root.join("edge"))
        .env("PATH", path)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "1")
        .env("NO_COLOR", "1");
    cmd
}

/// `wrangler dev` on 127.0.0.1:`port` with local state in `persist`, in its own process
/// group (so stopping it takes workerd along), stdin closed, plus `extra` arguments.
pub fn wrangler_dev(port: u16, persist: &Path, extra: &[&str]) -> Command {
    let port = port.to_string();
    let inspector = free_port().to_string();
    let persist = persist.display().to_string();
    let mut args = vec![
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        &port,
        "--inspector-port",
        &inspector,
        "--persist-to",
        &persist,
        "--show-interactive-dev-session=false",
    ];
    args.extend_from_slice(extra);
    let mut cmd = wrangler(&args);
    cmd.process_group(0).stdin(Stdio::null());
    cmd
}

fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{what}: could not start wrangler: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Applies `edge/migrations` to the local D1 database under `persist`.
pub fn apply_migrations(persist: &Path) -> Result<(), String> {
    let dir = persist.display().to_string();
    run(wrangler(&["d1", "migrations", "apply", "DB", "--local", "--persist-to", &dir]), "d1 migrations apply")
}

/// Executes a SQL file against the local D1 database under `persist`.
pub fn execute_sql(persist: &Path, file: &Path) -> Result<(), String> {
    let dir = persist.display().to_string();
    let file = file.display().to_string();
    run(wrangler(&["d1", "execute", "DB", "--local", "--persist-to", &dir, "--file", &file, "--yes"]), "d1 execute")
}

/// Runs read-only `sql` against the local D1 database under `persist` (the Worker may
/// be running) and returns wrangler's JSON: one `{results, success, meta}` per statement.
pub fn query_sql(persist: &Path, sql: &str) -> Result<serde_json::Value, String> {
    query_db(persist, "wrangler.toml", "DB", sql)
}

/// Adds `n` confirmed waitlist subscribers to `shop`/`sku` straight into the local D1
/// under `persist` (the Worker must be stopped): `w000001@example.com`, … in signup
/// order. Large waitlists for fan-out tests and benchmarks, without a million requests.
pub fn seed_waitlist(persist: &Path, shop: &str, sku: &str, n: u32) -> Result<(), String> {
    let safe = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !safe(shop) || !safe(sku) {
        return Err(format!("unexpected characters in {shop}/{sku}"));
    }
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
         INSERT INTO waitlist (id, shop_id, sku, email, locale, consent_text, consent_at, status, confirmed_at, created_at, updated_at) \
         SELECT 'wl_seed_{sku}_' || i, '{shop}', '{sku}', printf('w%06d@example.com', i), 'en', 'Email me once.', \
         1700000000000 + i, 'active', 1700000000000 + i, 1700000000000 + i, 1700000000000 + i FROM n;\n"
    );
    let file = persist.join(format!("seed-{shop}-{sku}.sql"));
    std::fs::write(&file, sql).map_err(|e| format!("{}: {e}", file.display()))?;
    execute_sql(persist, &file)
}

/// The static files' Worker (`restock-www`), a file in `edge/`, started beside the API.
pub const WWW_CONFIG: &str = "www.wrangler.toml";

/// Whether wrangler's log says a socket's port was taken.
fn port_taken(log: &Path) -> bool {
    std::fs::read_to_string(log).is_ok_and(|text| text.contains("Address already in use"))
}

/// How to start a dev server.
#[derive(Debug, Clone)]
pub struct Options {
    pub port: u16,
    pub persist: PathBuf,
    /// `--var NAME:VALUE` pairs (secrets locally).
    pub vars: Vec<(String, String)>,
    /// Where wrangler's output goes; `None` inherits the terminal.
    pub log: Option<PathBuf>,
    /// A wrangler config other than `edge/wrangler.toml` (a file name in `edge/`).
    pub config: Option<String>,
    /// wrangler's `--log-level`: `info` logs every request (the tests read that log);
    /// the benchmark runs at `warn`, as its baselines do, so wrangler's logging of each
    /// request is not counted as the Worker's work.
    pub log_level: &'static str,
}

/// A running `wrangler dev`; stopped (with every process it started) on drop.
#[derive(Debug)]
pub struct DevServer {
    child: Child,
    pub url: String,
    pub options: Options,
}

impl DevServer {
    /// Starts `wrangler dev` in its own process group and waits until `/v1/health`
    /// answers (or fails after `timeout`). wrangler picks the ports of its internal
    /// sockets (one per Worker) when it starts, so two started at the same moment may
    /// pick the same one: a start that fails with "Address already in use" in its log is
    /// tried again, up to three times.
    pub fn start(options: Options, timeout: Duration) -> Result<DevServer, String> {
        let mut attempt = 1;
        loop {
            match DevServer::start_once(options.clone(), timeout) {
                Err(e) if attempt < 3 && options.log.as_ref().is_some_and(|log| port_taken(log)) => {
                    eprintln!("wrangler dev lost a port to another start; trying again ({e})");
                    attempt += 1;
                    thread::sleep(Duration::from_millis(300 * attempt));
                }
                result => return result,
            }
        }
    }

    fn start_once(options: Options, timeout: Duration) -> Result<DevServer, String> {
        // The API Worker first (it gets the port), then the static files' Worker it hands
        // every other path on to (`WWW`).
        let config = options.config.as_deref().unwrap_or("wrangler.toml");
        let mut args =
            vec!["--test-scheduled", "--log-level", options.log_level, "--config", config, "--config", WWW_CONFIG];
        let vars: Vec<String> = options.vars.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        for v in &vars {
            args.push("--var");
            args.push(v);
        }
        let mut cmd = wrangler_dev(options.port, &options.persist, &args);
        if let Some(log) = &options.log {
            let file = File::create(log).map_err(|e| format!("log file {}: {e}", log.display()))?;
            let err = file.try_clone().map_err(|e| e.to_string())?;
            cmd.stdout(file).stderr(err);
        }
        let child =
            cmd.spawn().map_err(|e| format!("could not start wrangler dev: {e} (run `cargo xtask build` first?)"))?;
        let url = format!("http://127.0.0.1:{}", options.port);
        let mut server = DevServer { child, url, options };
        server.wait_ready(timeout)?;
        Ok(server)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .into();
        let health = format!("{}/v1/health", self.url);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("wrangler dev exited early ({status}); see {:?}", self.options.log));
            }
            if agent.get(&health).call().is_ok_and(|r| r.status().as_u16() == 200) {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(200));
        }
        Err(format!("wrangler dev did not answer on {} within {timeout:?}; see {:?}", self.url, self.options.log))
    }

    /// The process id of wrangler, which is also its process group id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the server to exit by itself (the `dev` command's foreground mode).
    pub fn wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child.wait().ok()
    }

    /// Stops wrangler, workerd and anything else in the process group: TERM, then
    /// KILL if they are still there after five seconds.
    pub fn stop(&mut self) {
        kill_group(self.child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                // The leader is gone; make sure its children are too.
                kill_group(self.child.id(), "KILL");
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        kill_group(self.child.id(), "KILL");
        let _ = self.child.wait();
    }

    /// Kills the server abruptly (SIGKILL to the whole group), as a crash would.
    pub fn crash(&mut self) {
        kill_group(self.child.id(), "KILL");
        let _ = self.child.wait();
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        self.stop();
        // A config `start_sharded` or `start_configured` wrote for this server only.
        let own = |c: &&str| c.starts_with("wrangler.shards-") || c.starts_with("wrangler.own-");
        if let Some(c) = self.options.config.as_deref().filter(own) {
            let _ = std::fs::remove_file(repo_root().join("edge").join(c));
        }
    }
}

/// Sends `signal` to every process in group `pgid`.
pub fn kill_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A Worker of the test's own (fresh state, own port, extra `--var`s), for tests that
/// need a different configuration or must stop and restart it. The operator token is
/// `operator`; it runs as development (`/dev/*`, the outbox) unless `extra` sets
/// `ENVIRONMENT` (an `extra` pair replaces a default of the same name).
pub fn start_own(name: &str, operator: &str, extra: &[(&str, &str)]) -> Result<DevServer, String> {
    start_own_with(name, operator, extra, |_| Ok(()))
}

/// [`start_own`], with `prepare` run on the migrated local state before the Worker
/// starts (to load a fixture: the Worker must not be running while SQL is executed).
pub fn start_own_with(
    name: &str,
    operator: &str,
    extra: &[(&str, &str)],
    prepare: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<DevServer, String> {
    let dir = repo_root().join("target/e2e/own").join(format!("{name}-{}-{}", std::process::id(), free_port()));
    let persist = dir.join("state");
    std::fs::create_dir_all(&persist).map_err(|e| e.to_string())?;
    apply_migrations(&persist)?;
    prepare(&persist)?;
    let mut vars = vec![
        ("ENVIRONMENT".to_owned(), "development".to_owned()),
        ("OPERATOR_TOKEN".to_owned(), operator.to_owned()),
        ("TOKEN_SECRET".to_owned(), format!("{operator}-links")),
    ];
    vars.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    start_in(&dir, persist, vars, None)
}

/// A Worker of the test's own with more D1 databases than `DB`: `edge/wrangler.toml`
/// plus a binding per name in `extra_dbs` (written to a config of its own in `edge/`),
/// each migrated, and `D1_SHARDS` set to `shards` (`shop=BINDING,...`).
pub fn start_sharded(name: &str, operator: &str, extra_dbs: &[&str], shards: &str) -> Result<DevServer, String> {
    let edge = repo_root().join("edge");
    let base = std::fs::read_to_string(edge.join("wrangler.toml")).map_err(|e| e.to_string())?;
    let mut config = base;
    for (i, db) in extra_dbs.iter().enumerate() {
        config.push_str(&format!(
            "\n[[d1_databases]]\nbinding = \"{db}\"\ndatabase_name = \"restock-{}\"\n\
             database_id = \"00000000-0000-0000-0000-{:012}\"\nmigrations_dir = \"migrations\"\n",
            db.to_ascii_lowercase(),
            i + 1
        ));
    }
    let file = format!("wrangler.shards-{}-{}.toml", std::process::id(), free_port());
    std::fs::write(edge.join(&file), config).map_err(|e| e.to_string())?;
    let dir = repo_root().join("target/e2e/own").join(format!("{name}-{}-{}", std::process::id(), free_port()));
    let persist = dir.join("state");
    std::fs::create_dir_all(&persist).map_err(|e| e.to_string())?;
    let state = persist.display().to_string();
    for db in std::iter::once(&"DB").chain(extra_dbs) {
        run(
            wrangler(&["d1", "migrations", "apply", db, "--local", "--persist-to", &state, "--config", &file]),
            "d1 migrations apply",
        )?;
    }
    let vars = vec![
        ("ENVIRONMENT".to_owned(), "development".to_owned()),
        ("OPERATOR_TOKEN".to_owned(), operator.to_owned()),
        ("TOKEN_SECRET".to_owned(), format!("{operator}-links")),
        ("D1_SHARDS".to_owned(), shards.to_owned()),
    ];
    start_in(&dir, persist, vars, Some(file))
}

/// A Worker of the test's own whose configuration is `edge/wrangler.toml` plus
/// `extra_toml` (a binding, say; written to a file of its own in `edge/`), with extra
/// `--var`s as [`start_own`] takes them. Its log is `options.log`.
pub fn start_configured(
    name: &str,
    operator: &str,
    extra: &[(&str, &str)],
    extra_toml: &str,
) -> Result<DevServer, String> {
    let edge = repo_root().join("edge");
    let base = std::fs::read_to_string(edge.join("wrangler.toml")).map_err(|e| e.to_string())?;
    let file = format!("wrangler.own-{}-{}.toml", std::process::id(), free_port());
    std::fs::write(edge.join(&file), format!("{base}\n{extra_toml}\n")).map_err(|e| e.to_string())?;
    let dir = repo_root().join("target/e2e/own").join(format!("{name}-{}-{}", std::process::id(), free_port()));
    let persist = dir.join("state");
    std::fs::create_dir_all(&persist).map_err(|e| e.to_string())?;
    apply_migrations(&persist)?;
    let mut vars = vec![
        ("ENVIRONMENT".to_owned(), "development".to_owned()),
        ("OPERATOR_TOKEN".to_owned(), operator.to_owned()),
        ("TOKEN_SECRET".to_owned(), format!("{operator}-links")),
    ];
    vars.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    start_in(&dir, persist, vars, Some(file))
}

/// Starts a test's own Worker on a free port with state in `persist`, its log in
/// `dir/wrangler.log`, and `config` (a file in `edge/`) or `edge/wrangler.toml`.
fn start_in(
    dir: &Path,
    persist: PathBuf,
    vars: Vec<(String, String)>,
    config: Option<String>,
) -> Result<DevServer, String> {
    let log = Some(dir.join("wrangler.log"));
    let options = Options { port: free_port(), persist, vars, log, config, log_level: "info" };
    DevServer::start(options, Duration::from_secs(90))
}

/// Runs `sql` against database `binding` of a Worker started with `config` (a file in
/// `edge/`) and returns wrangler's JSON: one `{results, success, meta}` per statement.
pub fn query_db(persist: &Path, config: &str, binding: &str, sql: &str) -> Result<serde_json::Value, String> {
    // The running Worker may hold the SQLite lock for a moment (its own writes, or the
    // queue consumer's): a busy database is tried again, a few times, before it fails.
    let mut result = query_db_once(persist, config, binding, sql);
    for wait_ms in [100, 300, 1000, 2000] {
        match &result {
            Err(e) if e.contains("SQLITE_BUSY") || e.contains("database is locked") => {
                thread::sleep(Duration::from_millis(wait_ms));
                result = query_db_once(persist, config, binding, sql);
            }
            _ => break,
        }
    }
    result
}

fn query_db_once(persist: &Path, config: &str, binding: &str, sql: &str) -> Result<serde_json::Value, String> {
    let dir = persist.display().to_string();
    let out = wrangler(&[
        "d1",
        "execute",
        binding,
        "--local",
        "--persist-to",
        &dir,
        "--config",
        config,
        "--json",
        "--command",
        sql,
    ])
    .output()
    .map_err(|e| format!("d1 execute: could not start wrangler: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "d1 execute failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("d1 execute: {e}"))
}
