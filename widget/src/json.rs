//! Writing the widget's request bodies as JSON, with no panics and no `core::fmt`
//! (serde_json would cost the widget more than the rest of it). Reading answers is
//! the browser's job (`JSON.parse`, flattened for us: see `flat`). The tests read what
//! this writes back with serde_json, as the Worker does.

use alloc::string::String;

/// Appends `s` as a JSON string (quoted, escaped).
pub fn push_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let n = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[n >> 4]));
                out.push(char::from(HEX[n & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Builds a JSON object member by member.
pub struct Object(String);

impl Object {
    pub fn new() -> Object {
        Object(String::from("{"))
    }

    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_str(&mut self.0, key);
        self.0.push(':');
    }

    pub fn str(mut self, key: &str, value: &str) -> Object {
        self.key(key);
        push_str(&mut self.0, value);
        self
    }

    /// A member only when there is a value (absent, not null, otherwise).
    pub fn opt(self, key: &str, value: Option<&str>) -> Object {
        match value {
            Some(v) => self.str(key, v),
            None => self,
        }
    }

    pub fn bool(mut self, key: &str, value: bool) -> Object {
        self.key(key);
        self.0.push_str(if value { "true" } else { "false" });
        self
    }

    pub fn uint(mut self, key: &str, value: u32) -> Object {
        self.key(key);
        crate::i18n::push_digits(&mut self.0, value);
        self
    }

    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

impl Default for Object {
    fn default() -> Self {
        Object::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_strings_parse_as_json() {
        for s in ["", "plain", "quote \" and \\ and \u{1}\u{1f}\n", "ünïcødé 😀 \u{2028}"] {
            let mut out = String::new();
            push_str(&mut out, s);
            assert_eq!(serde_json::from_str::<String>(&out).ok().as_deref(), Some(s));
        }
        let o = Object::new().str("a", "x").opt("b", None).opt("c", Some("y")).bool("d", true).uint("e", 42).finish();
        assert_eq!(o, r#"{"a":"x","c":"y","d":true,"e":42}"#);
    }
}
