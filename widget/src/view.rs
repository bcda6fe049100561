//! Rendering a widget's state into its Shadow DOM. Text only ever goes in through
//! `textContent`; nothing is ever parsed as HTML.

use wasm_bindgen::JsValue;
use web_sys::{Document, Element, ShadowRootInit, ShadowRootMode};

use crate::i18n::{self, Text};
use crate::state::{Load, State};

const STYLE: &str = ":host{display:block;font:inherit;color:var(--restock-fg,inherit)}\
.restock{margin:.5em 0}\
.restock[hidden]{display:none}\
.status{margin:0;font-weight:600}";

/// The elements of one mounted widget.
pub struct View {
    container: Element,
    status: Element,
}

impl View {
    /// Attaches an open shadow root to `host` and builds the skeleton.
    pub fn attach(doc: &Document, host: &Element) -> Result<View, JsValue> {
        let init = ShadowRootInit::new(ShadowRootMode::Open);
        let root = host.attach_shadow(&init)?;
        let style = doc.create_element("style")?;
        style.set_text_content(Some(STYLE));
        let container = doc.create_element("div")?;
        container.set_class_name("restock");
        container.set_attribute("part", "container")?;
        let status = doc.create_element("p")?;
        status.set_class_name("status");
        status.set_attribute("role", "status")?;
        container.append_child(&status)?;
        root.append_child(&style)?;
        root.append_child(&container)?;
        Ok(View { container, status })
    }

    pub fn render(&self, state: &State) {
        let (visible, line) = match &state.load {
            Load::Loading => (true, i18n::text(state.lang, Text::Checking).to_owned()),
            Load::Ready(v) => (true, i18n::status_line(state.lang, v.status, v.left)),
            Load::Unknown | Load::Unavailable => (false, String::new()),
        };
        if visible {
            let _ = self.container.remove_attribute("hidden");
        } else {
            let _ = self.container.set_attribute("hidden", "");
        }
        self.status.set_text_content(Some(&line));
    }
}
