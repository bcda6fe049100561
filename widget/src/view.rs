//! The widget's markup and stylesheet: constant, with no data in them.
//!
//! Two painters share the markup. The loader paints the status block (`r`, `s`, `l`,
//! `t`, `v`, the alternatives `al`) from the Worker's words (`restock_shared::say`), the
//! moment the availability answer arrives; the main script (`js/dom.js`) paints the
//! form and the outcome. The markup, the stylesheet and the ids of the texts that read
//! in the language's direction ([`TEXTS`]) are built into the loader from here
//! (`cargo xtask build`), so neither the main script nor the wasm carries them.

use alloc::string::String;

/// Defaults meet WCAG AA contrast on a white page; every colour is a custom property.
pub const STYLE: &str = ":host{display:block;color:var(--restock-text,inherit);--a:var(--restock-accent,#1f5f4a);\
--at:var(--restock-accent-text,#fff);--m:var(--restock-muted,#4f5a57);--e:var(--restock-error,#b3261e);\
--r:var(--restock-radius,6px);--b:var(--restock-border,#7c8783)}\
.r{font-family:var(--restock-font,inherit);font-size:inherit;line-height:1.45;margin-block:.5em}\
[hidden]{display:none!important}\
.s{margin:0;font-weight:600;display:flex;align-items:center;gap:.5em}\
.d{inline-size:.6em;block-size:.6em;border-radius:50%;background:var(--m);flex:none}\
.in .d{background:var(--restock-success,#1a7f37)}.low .d{background:var(--restock-warning,#b35900)}\
.out .d,.gone .d{background:var(--e)}.bo .d{background:var(--a)}\
.x{margin:.2em 0 0;color:var(--m)}\
ul{margin:.2em 0 0;padding-inline-start:1.2em}a{color:var(--a)}\
form{margin-block-start:.75em}fieldset{border:0;padding:0;margin:0;min-inline-size:0}\
legend{padding:0;font-weight:600;margin-block-end:.25em}\
label{display:block;margin-block-start:.5em}\
.f{font:inherit;inline-size:100%;box-sizing:border-box;padding:.5em .6em;border:1px solid var(--b);\
border-radius:var(--r);background:var(--restock-bg,#fff);color:var(--restock-input-text,#1c2321)}\
.q{max-inline-size:6em}\
[aria-invalid=true]{border-color:var(--e);outline:1px solid var(--e)}\
.c{display:flex;gap:.5em;align-items:flex-start;margin-block-start:.6em}.c label{margin:0}\
.c input{margin-block-start:.25em;flex:none}\
button{font:inherit;cursor:pointer}\
.g{margin-block-start:.75em;padding:.6em 1.1em;border:0;border-radius:var(--r);background:var(--a);color:var(--at);font-weight:600}\
.g[aria-busy=true]{opacity:.75;cursor:progress}\
.w{display:block;background:none;border:0;padding:0;margin-block-start:.6em;color:var(--a);text-decoration:underline}\
.e{color:var(--e);margin:.25em 0 0}.n{margin:.75em 0 0}\
dialog{border:1px solid var(--b);border-radius:var(--r);padding:1em 1.25em;max-inline-size:min(28em,90vw);\
color:var(--restock-text,CanvasText);background:var(--restock-bg,Canvas)}dialog::backdrop{background:#0008}\
[tabindex='-1']:focus{outline:0}\
:focus-visible{outline:3px solid var(--restock-focus,#0b57d0);outline-offset:2px}";

/// The skeleton: constant markup with no data in it (data goes in via `textContent`).
/// The root stays hidden until an answer says what to show.
///
/// The honeypot (a "Website" field bots fill in) is `hidden`: invisible and out of the
/// accessibility tree through the browser's own stylesheet, so it stays hidden under a
/// Content-Security-Policy that blocks ours. `n` and `s` take focus after an outcome.
/// The shop's consent texts (`kl`, `jl`) read in their own direction (`dir=auto`).
const HEAD: &str = "<div class=r id=r part=container hidden><p class=s id=s role=status tabindex=-1>\
<span class=d aria-hidden=true></span><span id=l></span></p>";

const BODY: &str = "<p class=x id=t hidden></p><p class=x id=v hidden></p>\
<form id=f novalidate hidden><fieldset><legend id=g></legend>\
<div id=qr><label for=q id=ql></label><input class='f q' id=q type=number min=1 value=1 inputmode=numeric aria-describedby=qe>\
<p class=e id=qe hidden></p></div>\
<div id=mr><label for=m id=ml></label><input class=f id=m type=email autocomplete=email required aria-describedby=me>\
<p class=e id=me hidden></p></div>\
<div id=kr><div class=c><input id=k type=checkbox required aria-describedby=ke><label for=k id=kl dir=auto></label></div>\
<p class=e id=ke hidden></p></div>\
<div id=pr><label for=p id=pl></label><input class=f id=p type=tel autocomplete=tel aria-describedby=pe>\
<p class=e id=pe hidden></p></div>\
<div id=jr><div class=c><input id=j type=checkbox aria-describedby=je><label for=j id=jl dir=auto></label></div>\
<p class=e id=je hidden></p></div>\
<div hidden><label for=w>Website</label><input id=w type=text tabindex=-1 autocomplete=off></div>\
<button class=g id=b type=submit></button></fieldset><button class=w id=sw type=button></button></form>\
<p class=n id=n role=status tabindex=-1 hidden></p><p class=e id=er role=alert hidden></p>\
<div id=al hidden><p class=x id=ah></p><ul id=au></ul></div>";

/// Compact mode (collection tiles): a status line and one button, `o`, which opens the
/// dates, the form and the alternatives in a modal dialog (`dl`) with a close button,
/// `x`; every tile keeps the same height. `dom.js` gives the dialog its focus handling.
const COMPACT: &str = "<button class=g id=o type=button hidden></button><dialog id=dl aria-labelledby=g>";

/// Closes compact mode's dialog.
const COMPACT_END: &str = "<button class=w id=x type=button></button></dialog>";

/// The markup's parts as the loader assembles them: `[head, compact, body, compact
/// end, end]` (the compact parts only in compact mode), so it carries the body once.
pub const PARTS: [&str; 5] = [HEAD, COMPACT, BODY, COMPACT_END, "</div>"];

/// The widget's markup, inline or compact.
pub fn template(compact: bool) -> String {
    let mut html = String::new();
    for (i, part) in PARTS.into_iter().enumerate() {
        if compact || i % 2 == 0 {
            html.push_str(part);
        }
    }
    html
}

/// Elements holding the widget's own texts: they read in the language's direction
/// whatever the page's (the layout follows the page). The loader sets it from the
/// answer's `dir`; compact mode adds `o` and `x`.
pub const TEXTS: [&str; 19] =
    ["s", "t", "v", "al", "g", "ql", "qe", "ml", "me", "ke", "pl", "pe", "je", "b", "sw", "n", "er", "o", "x"];

#[cfg(test)]
mod tests {
    use super::*;

    fn has(html: &str, id: &str) -> bool {
        html.contains(&format!("id={id} ")) || html.contains(&format!("id={id}>"))
    }

    #[test]
    fn every_element_the_scripts_use_is_in_the_template() {
        // The form's fields, its texts and outcome (`dom.js`), and the status block the
        // loader paints from the Worker's words (`page.js`).
        for id in [
            "f", "g", "qr", "q", "ql", "qe", "mr", "m", "ml", "me", "kr", "k", "kl", "ke", "pr", "p", "pl", "pe", "jr",
            "j", "jl", "je", "w", "b", "sw", "n", "er", "r", "s", "l", "t", "v", "al", "ah", "au",
        ] {
            assert!(has(&template(false), id), "#{id}");
            assert!(has(&template(true), id), "#{id} compact");
        }
        for id in TEXTS {
            assert!(has(&template(true), id), "#{id} takes the language's direction");
        }
        for id in ["o", "x", "dl"] {
            assert!(has(&template(true), id) && !has(&template(false), id), "#{id} is compact mode's");
        }
        assert!(template(true).contains("<dialog id=dl"));
        assert!(!template(false).contains("dialog"));
    }

    #[test]
    fn every_error_is_announced_for_its_field() {
        for (input, error) in [("q", "qe"), ("m", "me"), ("k", "ke"), ("p", "pe"), ("j", "je")] {
            assert!(template(false).contains(&format!("id={input} ")), "#{input}");
            assert!(
                template(false).contains(&format!("aria-describedby={error}")),
                "#{input} is described by #{error}"
            );
        }
    }
}
