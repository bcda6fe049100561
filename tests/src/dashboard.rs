//! Driving the merchant dashboard in headless Chromium: sign in, read the page, axe-core.

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::server::repo_root;

/// How long a dashboard step may take to appear.
pub const WAIT: Duration = Duration::from_secs(20);

/// Opens the dashboard of the Worker at `base` and signs in with `key` through the form.
pub fn sign_in(b: &Browser, base: &str, key: &str) {
    b.goto(&format!("{base}/dashboard/"));
    b.wait_for("the sign-in form", "return document.querySelector('input[type=password]') !== null", WAIT);
    let input = b.find("input[type=password]");
    b.type_into(&input, key);
    b.click(&b.find("form button[type=submit]"));
}

/// The text of the page's main region.
pub fn main_text(b: &Browser) -> String {
    b.eval("return document.getElementById('main').innerText", vec![]).as_str().unwrap_or_default().to_owned()
}

/// Waits until the main region shows `needle`.
pub fn wait_text(b: &Browser, what: &str, needle: &str) {
    let js = format!("return document.getElementById('main').innerText.includes({})", json!(needle));
    b.wait_for(what, &js, WAIT);
}

/// The rows of the main region's tables.
pub fn table_rows(b: &Browser) -> u64 {
    b.eval("return document.querySelectorAll('main tbody tr').length", vec![]).as_u64().unwrap_or(0)
}

/// axe-core's violations on the page (empty when it passes).
pub fn axe(b: &Browser) -> Vec<Value> {
    let source = std::fs::read_to_string(repo_root().join("node_modules/axe-core/axe.min.js")).expect("axe-core");
    b.eval(&source, vec![]);
    b.eval_async(
        "const done = arguments[arguments.length - 1]; axe.run(document, { resultTypes: ['violations'] })\
         .then(r => done(r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)})))).catch(e => done([{id: String(e)}]));",
        vec![],
    )
    .as_array()
    .cloned()
    .unwrap_or_default()
}
