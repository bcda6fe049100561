//! The API's answers as `dom.js` hands them over: the browser parses the JSON
//! (`JSON.parse` costs the wasm nothing) and flattens it into one line per value,
//! `path U+001F value U+001E`, the path being the keys and array indexes joined by `.`
//! (`items.0.sku`). Strings come as they are (U+001E and U+001F become U+FFFD), numbers
//! as JavaScript writes them, booleans as `true`/`false`; `null` gives no line. What a
//! value means is decided here, and nothing here allocates.

/// Ends a line.
const LINE: u8 = 0x1e;
/// Separates a line's path from its value.
const PATH: u8 = 0x1f;

/// A flattened answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flat<'a>(pub &'a str);

impl<'a> Flat<'a> {
    /// Every (path, value) line, in order.
    fn lines(self) -> impl Iterator<Item = (&'a str, &'a str)> {
        let mut rest = self.0;
        core::iter::from_fn(move || {
            let b = rest.as_bytes();
            let end = b.iter().position(|&c| c == LINE)?;
            // (A line without a value, which dom.js never writes, reads as a bare path.)
            let mid = b.get(..end)?.iter().position(|&c| c == PATH).unwrap_or(end);
            let line = (rest.get(..mid)?, rest.get(mid + 1..end).unwrap_or(""));
            rest = rest.get(end + 1..)?;
            Some(line)
        })
    }

    /// The value at `prefix` + `path` (`prefix` names an object, ending in `.`; or empty).
    pub fn at(self, prefix: &str, path: &str) -> Option<&'a str> {
        self.lines().find(|(p, _)| p.strip_prefix(prefix) == Some(path)).map(|(_, v)| v)
    }

    pub fn get(self, path: &str) -> Option<&'a str> {
        self.at("", path)
    }

    /// The path of the element of `array` whose `field` is `value`, as a prefix
    /// (`items.3.`) for `at`.
    pub fn element(self, array: &str, field: &str, value: &str) -> Option<&'a str> {
        self.lines().find_map(|(p, v)| {
            let index = p.strip_prefix(array)?.strip_prefix('.')?.strip_suffix(field)?;
            let digits = index.strip_suffix('.')?;
            (v == value && !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()))
                .then(|| p.get(..p.len() - field.len()))
                .flatten()
        })
    }
}

/// A whole number from 0 to `u32::MAX`, written with digits only.
pub fn uint(value: &str) -> Option<u32> {
    if value.is_empty() || (value.len() > 1 && value.starts_with('0')) {
        return None;
    }
    value.bytes().try_fold(0u32, |n, c| {
        if c.is_ascii_digit() { n.checked_mul(10)?.checked_add(u32::from(c - b'0')) } else { None }
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use alloc::string::String;
    use serde_json::Value;

    /// What `dom.js` makes of a JSON answer (its `flat`), for tests of what reads it.
    pub fn flatten(json: &Value) -> String {
        fn walk(path: &str, v: &Value, out: &mut String) {
            let mut leaf = |s: &str| {
                out.push_str(path);
                out.push('\u{1f}');
                out.extend(s.chars().map(|c| if c == '\u{1e}' || c == '\u{1f}' { '\u{fffd}' } else { c }));
                out.push('\u{1e}');
            };
            match v {
                Value::Null => {}
                Value::Bool(b) => leaf(if *b { "true" } else { "false" }),
                Value::Number(n) => leaf(&n.to_string()),
                Value::String(s) => leaf(s),
                Value::Array(items) => {
                    for (i, x) in items.iter().enumerate() {
                        walk(&[path, &i.to_string(), "."].concat(), x, out);
                    }
                }
                Value::Object(map) => {
                    for (k, x) in map {
                        walk(&[path, k, "."].concat(), x, out);
                    }
                }
            }
        }
        let mut out = String::new();
        walk("", json, &mut out);
        // Leaves' paths end without the dot the walk adds to containers.
        out.replace(".\u{1f}", "\u{1f}")
    }

    #[test]
    fn paths_values_and_elements() {
        let json = serde_json::json!({
            "shop": { "consent_text": "ok\u{1e}x", "n": null, "on": true },
            "items": [{ "sku": "A", "left": 3 }, { "sku": "B", "left": 12, "eta": { "date": "2027-01-02" } }],
            "unknown": ["items.1.sku"],
        });
        let text = flatten(&json);
        let f = Flat(&text);
        assert_eq!(f.get("shop.consent_text"), Some("ok\u{fffd}x"));
        assert_eq!(f.get("shop.on"), Some("true"));
        assert_eq!(f.get("shop.n"), None, "null is absent");
        let b = f.element("items", "sku", "B");
        assert_eq!(b, Some("items.1."));
        assert_eq!(b.and_then(|p| f.at(p, "left")).and_then(uint), Some(12));
        assert_eq!(b.and_then(|p| f.at(p, "eta.date")), Some("2027-01-02"));
        assert_eq!(f.element("items", "sku", "C"), None);
        assert_eq!(f.element("unknown", "sku", "items.1.sku"), None, "only an array's elements");
        for broken in ["", "a", "a\u{1f}", "\u{1e}\u{1e}", "x\u{1e}a\u{1f}1\u{1e}"] {
            assert_eq!(Flat(broken).get("a"), if broken.ends_with("1\u{1e}") { Some("1") } else { None }, "{broken:?}");
        }
    }

    #[test]
    fn numbers_are_whole_and_in_range() {
        assert_eq!(uint("0"), Some(0));
        assert_eq!(uint("4294967295"), Some(u32::MAX));
        for bad in ["4294967296", "-1", "1.5", "1e3", "01", "", "true"] {
            assert_eq!(uint(bad), None, "{bad}");
        }
    }
}
