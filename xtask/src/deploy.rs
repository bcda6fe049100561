//! `cargo xtask deploy [--dry-run]`: puts Restock on the operator's Cloudflare account
//! through wrangler. Creates the D1 database, the KV namespace and the queues when they
//! are missing, writes their ids into `edge/wrangler.deploy.toml` (generated from the
//! committed `edge/wrangler.toml`, which keeps its placeholder ids and stays safe to
//! commit), applies the migrations remotely, asks for each secret that is not set yet,
//! and deploys: the static files' Worker (`edge/www.wrangler.toml`), then the API's. `--dry-run` prints every command and the config it would write, and runs
//! nothing that talks to Cloudflare (CI runs it).
//!
//! One code path for both: the plan talks to a `Runner`; the real one runs wrangler,
//! the dry one prints. The unit tests drive it with canned `list` outputs.

use std::path::Path;
use std::process::Stdio;

use restock_e2e::server::{WWW_CONFIG, repo_root, wrangler};
use serde_json::Value;

use crate::{build, step, tools};

/// The deploy config, next to the committed one (relative paths in it stay valid).
pub const DEPLOY_CONFIG: &str = "wrangler.deploy.toml";
/// The static files' deploy config when they get routes of their own (`ROUTE_ZONE`).
pub const WWW_DEPLOY_CONFIG: &str = "www.wrangler.deploy.toml";
/// A deploy option, not a variable of the Worker: the Cloudflare zone (`example.com`)
/// that `PUBLIC_URL`'s host is in. With it both Workers get routes on that host.
pub const ROUTE_ZONE: &str = "ROUTE_ZONE";
/// The KV namespace's title in the account.
pub const KV_TITLE: &str = "restock-cache";
/// Plain variables taken from the environment of `cargo xtask deploy` into the config.
const PASSED_VARS: [&str; 12] = [
    "EMAIL_PROVIDER",
    "EMAIL_FROM",
    "PUBLIC_URL",
    "POSTMARK_MESSAGE_STREAM",
    "MAILGUN_DOMAIN",
    "MAILGUN_REGION",
    "AWS_REGION",
    "SES_CONFIGURATION_SET",
    "SES_SNS_TOPIC_ARN",
    "SMS_PROVIDER",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_FROM",
];

/// What the plan needs from the outside world.
pub trait Runner {
    /// A read-only wrangler command (a `list`); `None` when it is not run (dry run).
    fn query(&mut self, args: &[&str]) -> Result<Option<String>, String>;
    /// A wrangler command that changes something; `interactive` ones may prompt.
    fn act(&mut self, why: &str, args: &[&str], interactive: bool) -> Result<(), String>;
    /// Writes the deploy config (`edge/` relative `name`).
    fn write(&mut self, name: &str, text: &str) -> Result<(), String>;
}

/// The resource names the committed config uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub database: String,
    pub queues: Vec<String>,
}

/// The value of a `key = "value"` line.
fn string_value(line: &str, key: &str) -> Option<String> {
    let rest = line.trim().strip_prefix(key)?.trim_start().strip_prefix('=')?.trim();
    Some(rest.strip_prefix('"')?.split('"').next()?.to_owned())
}

pub fn names(committed: &str) -> Result<Names, String> {
    let database = committed
        .lines()
        .find_map(|l| string_value(l, "database_name"))
        .ok_or("edge/wrangler.toml names no D1 database_name")?;
    let mut queues: Vec<String> = Vec::new();
    for q in committed.lines().filter_map(|l| string_value(l, "queue").or_else(|| string_value(l, "dead_letter_queue")))
    {
        if !queues.contains(&q) {
            queues.push(q);
        }
    }
    Ok(Names { database, queues })
}

/// The id of D1 database `name` in `wrangler d1 list --json`.
pub fn d1_id(list: &str, name: &str) -> Result<Option<String>, String> {
    let v: Value = serde_json::from_str(list).map_err(|e| format!("wrangler d1 list --json: {e}"))?;
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .find(|d| d["name"] == name)
        .and_then(|d| d["uuid"].as_str().map(str::to_owned)))
}

/// The id of the KV namespace titled `title` in `wrangler kv namespace list`.
pub fn kv_id(list: &str, title: &str) -> Result<Option<String>, String> {
    let v: Value = serde_json::from_str(list).map_err(|e| format!("wrangler kv namespace list: {e}"))?;
    Ok(v.as_array()
        .into_iter()
        .flatten()
        .find(|n| n["title"] == title)
        .and_then(|n| n["id"].as_str().map(str::to_owned)))
}

/// Whether queue `name` is a cell of `wrangler queues list`'s table.
pub fn has_queue(table: &str, name: &str) -> bool {
    table.lines().any(|l| l.split(|c: char| c == '│' || c == '|' || c.is_whitespace()).any(|cell| cell == name))
}

/// The secret names in `wrangler secret list` (JSON).
pub fn secret_names(list: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(list).unwrap_or(Value::Null);
    v.as_array().into_iter().flatten().filter_map(|s| s["name"].as_str().map(str::to_owned)).collect()
}

/// The secrets this configuration needs.
pub fn required_secrets(vars: &[(String, String)]) -> Vec<&'static str> {
    let mut out = vec!["TOKEN_SECRET", "OPERATOR_TOKEN"];
    let provider = vars.iter().find(|(k, _)| k == "EMAIL_PROVIDER").map(|(_, v)| v.as_str());
    match provider {
        Some("http") => out.extend(["EMAIL_API_URL", "EMAIL_API_KEY"]),
        Some("resend" | "postmark" | "sendgrid" | "mailgun") => out.push("EMAIL_API_KEY"),
        Some("ses") => out.extend(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]),
        _ => {}
    }
    match var(vars, "SMS_PROVIDER") {
        Some("twilio") => out.push("TWILIO_AUTH_TOKEN"),
        Some("http") => out.extend(["SMS_API_URL", "SMS_API_KEY"]),
        _ => {}
    }
    out
}

fn var<'a>(vars: &'a [(String, String)], name: &str) -> Option<&'a str> {
    vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn toml_string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The routes for `ROUTE_ZONE` (when it is among `vars`): the API Worker's
/// `host/v1/*` and the static files' Worker's `host/*` (the more specific route wins),
/// as `[[routes]]` tables to append to each config. So a static file is served by
/// `restock-www` without running any Worker script (free, and not counted against the
/// Workers request quota), and an API request reaches the API Worker directly. Without
/// it both Workers are on workers.dev, and the API Worker hands static paths on to
/// `restock-www` itself (each is then one request to the API Worker).
pub fn routes(vars: &[(String, String)]) -> Result<Option<(String, String)>, String> {
    let Some(zone) = var(vars, ROUTE_ZONE) else { return Ok(None) };
    let zone = zone.trim().trim_end_matches('.').to_ascii_lowercase();
    let url = var(vars, "PUBLIC_URL").ok_or("ROUTE_ZONE needs PUBLIC_URL (https://<host in that zone>)")?;
    let host = url
        .strip_prefix("https://")
        .map(|rest| rest.trim_end_matches('/').to_ascii_lowercase())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .ok_or_else(|| format!("ROUTE_ZONE needs PUBLIC_URL to be https://<host> with no path, not {url}"))?;
    if zone.is_empty() || !(host == zone || host.ends_with(&format!(".{zone}"))) {
        return Err(format!("PUBLIC_URL's host {host} is not in ROUTE_ZONE {zone}"));
    }
    let table = |pattern: String| {
        format!("\n[[routes]]\npattern = {}\nzone_name = {}\n", toml_string(&pattern), toml_string(&zone))
    };
    Ok(Some((table(format!("{host}/v1/*")), table(format!("{host}/*")))))
}

/// The deploy config: the committed one with the D1 and KV ids filled in and `vars`
/// added under `[vars]` (ENVIRONMENT stays production).
pub fn deploy_config(committed: &str, d1: &str, kv: &str, vars: &[(String, String)]) -> Result<String, String> {
    let mut out = String::from(
        "# Generated by `cargo xtask deploy` from wrangler.toml with this account's ids.\n\
         # Not committed (.gitignore); regenerated on every deploy: change wrangler.toml instead.\n",
    );
    let mut section = String::new();
    let (mut d1_done, mut kv_done, mut vars_done) = (false, false, false);
    for line in committed.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_owned();
        }
        if string_value(line, "database_id").is_some() {
            out.push_str(&format!("database_id = {}\n", toml_string(d1)));
            d1_done = true;
            continue;
        }
        if section == "[[kv_namespaces]]" && string_value(line, "id").is_some() {
            out.push_str(&format!("id = {}\n", toml_string(kv)));
            kv_done = true;
            continue;
        }
        if vars.iter().any(|(k, _)| section == "[vars]" && string_value(line, k).is_some()) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if trimmed == "[vars]" {
            for (k, v) in vars.iter().filter(|(k, _)| k != ROUTE_ZONE) {
                out.push_str(&format!("{k} = {}\n", toml_string(v)));
            }
            vars_done = true;
        }
    }
    // Cloudflare's Email Service sends through the Worker's `send_email` binding.
    if var(vars, "EMAIL_PROVIDER") == Some("cloudflare") && !committed.contains("[[send_email]]") {
        out.push_str(
            "\n# EMAIL_PROVIDER=cloudflare: Email Service through this binding.\n[[send_email]]\nname = \"EMAIL\"\n",
        );
    }
    if let Some((api, _)) = routes(vars)? {
        out.push_str(&api);
    }
    match (d1_done, kv_done, vars_done) {
        (true, true, true) => Ok(out),
        _ => Err("edge/wrangler.toml lacks database_id, a [[kv_namespaces]] id or [vars]".into()),
    }
}

/// Finds a resource's id, creating it first when the listing lacks it. In a dry run
/// (no listing) the create is shown and the id is a placeholder.
fn ensure(
    r: &mut dyn Runner,
    what: &str,
    list: &[&str],
    create: &[&str],
    find: impl Fn(&str) -> Result<Option<String>, String>,
) -> Result<String, String> {
    match r.query(list)? {
        None => {
            r.act(&format!("create {what} if it is missing"), create, false)?;
            Ok(format!("<id of {what}>"))
        }
        Some(listing) => match find(&listing)? {
            Some(id) => Ok(id),
            None => {
                r.act(&format!("create {what}"), create, false)?;
                let listing = r.query(list)?.unwrap_or_default();
                find(&listing)?.ok_or_else(|| format!("{what} was created but is not listed"))
            }
        },
    }
}

/// The whole deploy against `r`. `vars` are the plain variables for `[vars]`.
pub fn plan(r: &mut dyn Runner, committed: &str, vars: &[(String, String)]) -> Result<(), String> {
    let names = names(committed)?;
    let db = names.database.as_str();
    let d1 = ensure(
        r,
        &format!("D1 database {db}"),
        &["d1", "list", "--json"],
        &["d1", "create", db, "--update-config=false"],
        |l| d1_id(l, db),
    )?;
    let kv = ensure(
        r,
        &format!("KV namespace {KV_TITLE}"),
        &["kv", "namespace", "list"],
        &["kv", "namespace", "create", KV_TITLE, "--update-config=false"],
        |l| kv_id(l, KV_TITLE),
    )?;
    let queues = r.query(&["queues", "list"])?;
    for q in &names.queues {
        match &queues {
            Some(table) if has_queue(table, q) => {}
            Some(_) => r.act(&format!("create queue {q}"), &["queues", "create", q], false)?,
            None => r.act(&format!("create queue {q} if it is missing"), &["queues", "create", q], false)?,
        }
    }
    r.write(DEPLOY_CONFIG, &deploy_config(committed, &d1, &kv, vars)?)?;
    r.act(
        "apply the D1 migrations to the remote database",
        &["d1", "migrations", "apply", "DB", "--remote", "-c", DEPLOY_CONFIG],
        true,
    )?;
    // Before the first deploy the Worker does not exist and the listing fails: then
    // every secret is missing (wrangler offers to create the Worker on the first put).
    let set = match r.query(&["secret", "list", "-c", DEPLOY_CONFIG]) {
        Ok(Some(list)) => Some(secret_names(&list)),
        Ok(None) => None,
        Err(_) => Some(Vec::new()),
    };
    for name in required_secrets(vars) {
        match &set {
            Some(set) if set.iter().any(|s| s == name) => {}
            Some(_) => r.act(
                &format!("set the secret {name} (wrangler asks for it)"),
                &["secret", "put", name, "-c", DEPLOY_CONFIG],
                true,
            )?,
            None => r.act(
                &format!("set the secret {name} if it is not set (wrangler asks for it)"),
                &["secret", "put", name, "-c", DEPLOY_CONFIG],
                true,
            )?,
        }
    }
    // The static files' Worker first: the API's `WWW` service binding names it.
    let www = match routes(vars)? {
        Some((_, www_routes)) => {
            r.write(WWW_DEPLOY_CONFIG, &format!("{}{www_routes}", www_committed()?))?;
            WWW_DEPLOY_CONFIG
        }
        None => WWW_CONFIG,
    };
    r.act("deploy the static files (restock-www)", &["deploy", "-c", www], true)?;
    r.act("deploy the Worker", &["deploy", "-c", DEPLOY_CONFIG], true)
}

/// Prints instead of running: the dry run.
#[derive(Default)]
pub struct DryRun {
    pub out: String,
}

impl Runner for DryRun {
    fn query(&mut self, args: &[&str]) -> Result<Option<String>, String> {
        self.out.push_str(&format!("# look up (skipped in a dry run)\nwrangler {}\n\n", args.join(" ")));
        Ok(None)
    }
    fn act(&mut self, why: &str, args: &[&str], _interactive: bool) -> Result<(), String> {
        self.out.push_str(&format!("# {why}\nwrangler {}\n\n", args.join(" ")));
        Ok(())
    }
    fn write(&mut self, name: &str, text: &str) -> Result<(), String> {
        self.out.push_str(&format!("# write edge/{name}:\n{text}\n"));
        Ok(())
    }
}

/// Runs wrangler from `edge/`.
struct Real;

impl Runner for Real {
    fn query(&mut self, args: &[&str]) -> Result<Option<String>, String> {
        let out = wrangler(args).stderr(Stdio::inherit()).output().map_err(|e| format!("wrangler: {e}"))?;
        if !out.status.success() {
            return Err(format!("wrangler {} failed ({})", args.join(" "), out.status));
        }
        Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()))
    }
    fn act(&mut self, why: &str, args: &[&str], interactive: bool) -> Result<(), String> {
        step(why);
        eprintln!("wrangler {}", args.join(" "));
        let mut cmd = wrangler(args);
        if interactive {
            // Let wrangler prompt (CI=1 would make it assume answers).
            cmd.env_remove("CI").stdin(Stdio::inherit());
        }
        let status = cmd.status().map_err(|e| format!("wrangler: {e}"))?;
        if status.success() { Ok(()) } else { Err(format!("wrangler {} failed ({status})", args.join(" "))) }
    }
    fn write(&mut self, name: &str, text: &str) -> Result<(), String> {
        let path = repo_root().join("edge").join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
        Ok(())
    }
}

/// The plain variables passed through from this process's environment.
fn passed_vars() -> Vec<(String, String)> {
    PASSED_VARS
        .iter()
        .chain(std::iter::once(&ROUTE_ZONE))
        .filter_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()).map(|v| ((*k).to_owned(), v)))
        .collect()
}

fn committed() -> Result<String, String> {
    let path = repo_root().join("edge/wrangler.toml");
    std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

fn www_committed() -> Result<String, String> {
    let path = repo_root().join("edge").join(WWW_CONFIG);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(format!("# Generated by `cargo xtask deploy` from {WWW_CONFIG} with ROUTE_ZONE's route. Not committed.\n{text}"))
}

/// The dry run's text for the committed config and these variables.
pub fn dry_run(vars: &[(String, String)]) -> Result<String, String> {
    let mut r = DryRun::default();
    r.out.push_str("# build the widget and the Worker (release)\ncargo xtask build\n\n");
    plan(&mut r, &committed()?, vars)?;
    Ok(r.out)
}

pub fn run(args: &[String]) -> Result<(), String> {
    let dry = match args.first().map(String::as_str) {
        None => false,
        Some("--dry-run") => true,
        Some(other) => return Err(format!("unknown argument {other}: use `cargo xtask deploy [--dry-run]`")),
    };
    let vars = passed_vars();
    if !vars.iter().any(|(k, _)| k == "EMAIL_PROVIDER") {
        eprintln!(
            "note: EMAIL_PROVIDER is not set, so the deployed Worker sends no email (/v1/health reports \
             email_provider_missing). Set EMAIL_PROVIDER (resend, postmark, sendgrid, mailgun, ses or http; README, \"Email providers\"), \
             EMAIL_FROM and PUBLIC_URL when running this."
        );
    }
    if dry {
        print!("{}", dry_run(&vars)?);
        return Ok(());
    }
    let t = tools::ensure(tools::Need::Build)?;
    build::all(&t)?;
    if !Path::new(&repo_root().join("edge/build/worker/shim.mjs")).exists() {
        return Err("the Worker was not built (edge/build/worker/shim.mjs)".into());
    }
    plan(&mut Real, &committed()?, &vars)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    /// Answers queries from a script, in order, and records every command.
    struct Fake {
        answers: VecDeque<Result<String, String>>,
        log: Vec<String>,
        written: Vec<(String, String)>,
    }

    impl Runner for Fake {
        fn query(&mut self, args: &[&str]) -> Result<Option<String>, String> {
            self.log.push(format!("? {}", args.join(" ")));
            self.answers.pop_front().unwrap_or_else(|| Err(format!("unexpected query {args:?}"))).map(Some)
        }
        fn act(&mut self, _why: &str, args: &[&str], _interactive: bool) -> Result<(), String> {
            self.log.push(format!("! {}", args.join(" ")));
            Ok(())
        }
        fn write(&mut self, name: &str, text: &str) -> Result<(), String> {
            self.log.push(format!("> {name}"));
            self.written.push((name.to_owned(), text.to_owned()));
            Ok(())
        }
    }

    fn committed() -> String {
        std::fs::read_to_string(repo_root().join("edge/wrangler.toml")).expect("edge/wrangler.toml")
    }

    fn run(answers: Vec<Result<&str, &str>>, vars: &[(&str, &str)]) -> Fake {
        let mut fake = Fake {
            answers: answers.into_iter().map(|a| a.map(str::to_owned).map_err(str::to_owned)).collect(),
            log: Vec::new(),
            written: Vec::new(),
        };
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        plan(&mut fake, &committed(), &vars).expect("plan");
        fake
    }

    const QUEUES_TABLE: &str = "┌──────┬────────────────────┐\n│ id   │ name               │\n├──────┼────────────────────┤\n\
                                │ q1   │ restock-notify     │\n│ q2   │ restock-notify-dlq │\n└──────┴────────────────────┘\n";

    #[test]
    fn a_fresh_account_gets_every_resource_then_migrations_secrets_and_the_deploy() {
        let fake = run(
            vec![
                Ok(r#"[{"uuid":"other","name":"other-db"}]"#),
                Ok(r#"[{"uuid":"other","name":"other-db"},{"uuid":"d1-1234","name":"restock"}]"#),
                Ok("[]"),
                Ok(r#"[{"id":"kv-5678","title":"restock-cache"}]"#),
                Ok("No queues"),
                Err("Worker \"restock\" not found"),
            ],
            &[("EMAIL_PROVIDER", "http"), ("PUBLIC_URL", "https://restock.example.com")],
        );
        assert_eq!(
            fake.log,
            [
                "? d1 list --json",
                "! d1 create restock --update-config=false",
                "? d1 list --json",
                "? kv namespace list",
                "! kv namespace create restock-cache --update-config=false",
                "? kv namespace list",
                "? queues list",
                "! queues create restock-notify",
                "! queues create restock-notify-dlq",
                "> wrangler.deploy.toml",
                "! d1 migrations apply DB --remote -c wrangler.deploy.toml",
                "? secret list -c wrangler.deploy.toml",
                "! secret put TOKEN_SECRET -c wrangler.deploy.toml",
                "! secret put OPERATOR_TOKEN -c wrangler.deploy.toml",
                "! secret put EMAIL_API_URL -c wrangler.deploy.toml",
                "! secret put EMAIL_API_KEY -c wrangler.deploy.toml",
                "! deploy -c www.wrangler.toml",
                "! deploy -c wrangler.deploy.toml",
            ]
        );
        let config = &fake.written[0].1;
        assert!(config.contains("database_id = \"d1-1234\"\n"), "{config}");
        assert!(config.contains("id = \"kv-5678\"\n"), "{config}");
        assert!(config.contains("ENVIRONMENT = \"production\"\n"), "{config}");
        assert!(config.contains("[vars]\nEMAIL_PROVIDER = \"http\"\nPUBLIC_URL = \"https://restock.example.com\"\n"));
        assert!(!config.contains("00000000"), "no placeholder id is left: {config}");
        assert!(!config.contains("development\""), "{config}");
        // Everything else is the committed file, line for line.
        let kept = committed().lines().filter(|l| !l.contains("00000000")).count();
        assert_eq!(config.lines().filter(|l| committed().lines().any(|c| c == *l)).count(), kept);
    }

    #[test]
    fn an_account_that_has_everything_only_gets_the_missing_secrets_and_the_deploy() {
        let fake = run(
            vec![
                Ok(r#"[{"uuid":"d1-1234","name":"restock"}]"#),
                Ok(r#"[{"id":"kv-5678","title":"restock-cache"},{"id":"x","title":"CACHE"}]"#),
                Ok(QUEUES_TABLE),
                Ok(r#"[{"name":"TOKEN_SECRET","type":"secret_text"}]"#),
            ],
            &[],
        );
        assert_eq!(
            fake.log,
            [
                "? d1 list --json",
                "? kv namespace list",
                "? queues list",
                "> wrangler.deploy.toml",
                "! d1 migrations apply DB --remote -c wrangler.deploy.toml",
                "? secret list -c wrangler.deploy.toml",
                "! secret put OPERATOR_TOKEN -c wrangler.deploy.toml",
                "! deploy -c www.wrangler.toml",
                "! deploy -c wrangler.deploy.toml",
            ]
        );
    }

    #[test]
    fn a_route_zone_routes_the_api_and_the_static_files_on_the_public_host() {
        let everything = vec![
            Ok(r#"[{"uuid":"d1-1234","name":"restock"}]"#),
            Ok(r#"[{"id":"kv-5678","title":"restock-cache"}]"#),
            Ok(QUEUES_TABLE),
            Ok(r#"[{"name":"TOKEN_SECRET","type":"secret_text"},{"name":"OPERATOR_TOKEN","type":"secret_text"}]"#),
        ];
        let fake = run(everything, &[("PUBLIC_URL", "https://restock.example.com/"), ("ROUTE_ZONE", "Example.com")]);
        assert_eq!(
            fake.log[fake.log.len() - 3..],
            ["> www.wrangler.deploy.toml", "! deploy -c www.wrangler.deploy.toml", "! deploy -c wrangler.deploy.toml"]
        );
        let api = &fake.written[0].1;
        assert!(
            api.ends_with("\n[[routes]]\npattern = \"restock.example.com/v1/*\"\nzone_name = \"example.com\"\n"),
            "{api}"
        );
        assert!(!api.contains("ROUTE_ZONE"), "a deploy option, not a variable of the Worker: {api}");
        let www = &fake.written[1].1;
        assert!(www.contains("name = \"restock-www\"\n") && www.contains("directory = \"../www\"\n"), "{www}");
        assert!(
            www.ends_with("\n[[routes]]\npattern = \"restock.example.com/*\"\nzone_name = \"example.com\"\n"),
            "{www}"
        );

        let with = |url: &str, zone: &str| {
            let mut vars = vec![(ROUTE_ZONE.to_owned(), zone.to_owned())];
            if !url.is_empty() {
                vars.push(("PUBLIC_URL".to_owned(), url.to_owned()));
            }
            routes(&vars)
        };
        assert!(with("https://example.com", "example.com").is_ok_and(|r| r.is_some()));
        for (url, zone) in [
            ("", "example.com"),
            ("http://restock.example.com", "example.com"),
            ("https://restock.example.com/app", "example.com"),
            ("https://restock.example.org", "example.com"),
            ("https://badexample.com", "example.com"),
            ("https://restock.example.com", ""),
        ] {
            assert!(with(url, zone).is_err(), "{url} in {zone:?}");
        }
        assert_eq!(routes(&[]), Ok(None), "no ROUTE_ZONE: workers.dev, no routes");
    }

    #[test]
    fn each_email_provider_asks_for_its_own_secrets() {
        let needs = |provider: &str| required_secrets(&[("EMAIL_PROVIDER".into(), provider.into())]);
        let with = |provider: &str| {
            let vars = [("EMAIL_PROVIDER".to_owned(), provider.to_owned())];
            deploy_config(&committed(), "d1", "kv", &vars).unwrap_or_default()
        };
        assert!(
            with("cloudflare").contains("[[send_email]]\nname = \"EMAIL\""),
            "the binding Cloudflare sends through"
        );
        assert!(!with("resend").contains("[[send_email]]"));
        assert_eq!(needs("http"), ["TOKEN_SECRET", "OPERATOR_TOKEN", "EMAIL_API_URL", "EMAIL_API_KEY"]);
        for p in ["resend", "postmark", "sendgrid", "mailgun"] {
            assert_eq!(needs(p), ["TOKEN_SECRET", "OPERATOR_TOKEN", "EMAIL_API_KEY"], "{p}");
        }
        assert_eq!(needs("ses"), ["TOKEN_SECRET", "OPERATOR_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
        assert_eq!(needs("cloudflare"), ["TOKEN_SECRET", "OPERATOR_TOKEN"], "the binding is the credential");
        let texts = |sms: &str| {
            let vars = vec![("SMS_PROVIDER".to_owned(), sms.to_owned())];
            required_secrets(&vars)
        };
        assert_eq!(texts("twilio"), ["TOKEN_SECRET", "OPERATOR_TOKEN", "TWILIO_AUTH_TOKEN"]);
        assert_eq!(texts("http"), ["TOKEN_SECRET", "OPERATOR_TOKEN", "SMS_API_URL", "SMS_API_KEY"]);
        assert_eq!(required_secrets(&[]), ["TOKEN_SECRET", "OPERATOR_TOKEN"]);
    }

    #[test]
    fn the_dry_run_shows_every_command_and_the_config_and_queries_nothing() {
        let text = dry_run(&[("EMAIL_PROVIDER".into(), "http".into())]).expect("dry run");
        for line in [
            "cargo xtask build",
            "wrangler d1 create restock --update-config=false",
            "wrangler kv namespace create restock-cache --update-config=false",
            "wrangler queues create restock-notify\n",
            "wrangler queues create restock-notify-dlq\n",
            "# write edge/wrangler.deploy.toml:",
            "database_id = \"<id of D1 database restock>\"",
            "id = \"<id of KV namespace restock-cache>\"",
            "ENVIRONMENT = \"production\"",
            "wrangler d1 migrations apply DB --remote -c wrangler.deploy.toml",
            "wrangler secret put EMAIL_API_KEY -c wrangler.deploy.toml",
            "wrangler deploy -c www.wrangler.toml\n",
            "wrangler deploy -c wrangler.deploy.toml",
        ] {
            assert!(text.contains(line), "missing {line:?} in:\n{text}");
        }
    }

    #[test]
    fn the_committed_config_names_its_resources() {
        let n = names(&committed()).expect("names");
        assert_eq!(n.database, "restock");
        assert_eq!(n.queues, ["restock-notify", "restock-notify-dlq"]);
        assert!(has_queue(QUEUES_TABLE, "restock-notify") && !has_queue("restock-notify-dlq", "restock-notify"));
    }
}
