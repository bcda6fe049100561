//! Reading the storefront widget in a page, for the browser suites: its shadow DOM,
//! its status, axe-core over it, and a check that no fragment of a sentence was
//! reordered by the bidi algorithm.

use std::time::Duration;

use serde_json::Value;

use crate::browser::Browser;
use crate::server::repo_root;

pub const WAIT: Duration = Duration::from_secs(20);

/// JS reading `#id` inside the shadow root of the first widget matching `host`; `h` is
/// the host, `e` the element.
pub fn shadow_js(host: &str, id: &str, expr: &str) -> String {
    let host = host.replace('\'', "\\'");
    format!(
        "const h = document.querySelector('{host}'); const r = h && h.shadowRoot; \
         const e = r && r.getElementById('{id}'); return e ? {expr} : null;"
    )
}

/// Waits until the widget on `host` shows a loaded status (its class says which) and
/// returns the status line (isolates around values removed).
#[track_caller]
pub fn status(b: &Browser, host: &str) -> String {
    let js = shadow_js(host, "l", "(h.shadowRoot.getElementById('s').className.trim() === 's' ? '' : e.textContent)");
    let line = b.wait_for(&format!("status of {host}"), &js, WAIT);
    line.as_str().unwrap_or_default().replace(['\u{2068}', '\u{2069}'], "")
}

/// The text of `#id` in the widget on `host`, as it is (isolates kept).
pub fn text(b: &Browser, host: &str, id: &str) -> String {
    b.eval(&shadow_js(host, id, "e.textContent"), vec![]).as_str().unwrap_or_default().to_owned()
}

/// Whether `#id` in the widget on `host` is rendered (not inside anything hidden).
pub fn visible(b: &Browser, host: &str, id: &str) -> bool {
    b.eval(&shadow_js(host, id, "e.checkVisibility()"), vec![]).as_bool().unwrap_or(false)
}

/// Runs axe-core (from node_modules) on the page, shadow roots included; returns the
/// violations as `{id, nodes}`.
pub fn axe(b: &Browser) -> Vec<Value> {
    let source =
        std::fs::read_to_string(repo_root().join("node_modules/axe-core/axe.min.js")).expect("axe-core is installed");
    b.eval(&source, vec![]);
    let result = b.eval_async(
        "const done = arguments[arguments.length - 1]; \
         axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)})))).catch(e => done([{id: 'axe-error', nodes: [String(e)]}]));",
        vec![],
    );
    result.as_array().cloned().unwrap_or_default()
}

/// In every visible text of the widget on `host`, whether the words and isolated
/// values (dates, numbers, names between U+2068 and U+2069) appear on screen in their
/// reading order: left to right, or right to left when `rtl`. Returns `null` when all
/// are in order, else the first pair found out of order and where.
pub fn reordered(b: &Browser, host: &str, rtl: bool) -> Value {
    let js = format!(
        r#"const root = document.querySelector('{host}').shadowRoot;
        const rtl = {rtl};
        for (const el of root.querySelectorAll('#l,#t,#v,#g,#kl,#b,#sw,#n,#er,#o,#ql,#ml')) {{
          const node = el.firstChild;
          if (!node || node.nodeType !== 3 || !el.checkVisibility()) continue;
          // The shop's own texts (dir=auto) read in their own direction.
          const backwards = el.dir === 'auto' ? getComputedStyle(el).direction === 'rtl' : rtl;
          const s = node.textContent, tokens = [];
          for (let i = 0; i < s.length;) {{
            if (s[i] === '\u2068') {{ const j = s.indexOf('\u2069', i); tokens.push([i, j + 1]); i = j + 1; continue; }}
            if (/\s/.test(s[i])) {{ i++; continue; }}
            let j = i;
            while (j < s.length && !/\s/.test(s[j]) && s[j] !== '\u2068') j++;
            tokens.push([i, j]); i = j;
          }}
          const range = document.createRange();
          // Each token's boxes (one per line it spans): compare where one ends with
          // where the next begins.
          const boxes = tokens.map(([a, z]) => {{
            range.setStart(node, a); range.setEnd(node, z);
            return [...range.getClientRects()].filter((r) => r.width > 0);
          }});
          for (let k = 1; k < boxes.length; k++) {{
            if (!boxes[k - 1].length || !boxes[k].length) continue;
            const p = boxes[k - 1][boxes[k - 1].length - 1], c = boxes[k][0];
            if (c.top > p.bottom - 2) continue; // the next line
            const wrong = c.bottom < p.top + 2 || (backwards ? c.right > p.left + 1 : c.left < p.right - 1);
            if (wrong) return {{ id: el.id, text: s, before: s.slice(...tokens[k - 1]), after: s.slice(...tokens[k]) }};
          }}
        }}
        return null;"#
    );
    b.eval(&js, vec![])
}

/// With `RESTOCK_SCREENSHOTS=1`, saves the viewport as `docs/screenshots/{name}.png`.
pub fn screenshot(b: &Browser, name: &str) {
    if std::env::var_os("RESTOCK_SCREENSHOTS").is_none() {
        return;
    }
    let dir = repo_root().join("docs/screenshots");
    std::fs::create_dir_all(&dir).expect("docs/screenshots");
    b.screenshot(&dir.join(format!("{name}.png")));
}
