//! The domain's rules the form applies before anything is sent, exactly as the Worker
//! applies them (`restock_shared`'s own parsers, not copies): an email address
//! (`Email::parse`), a mobile number in E.164 (`Phone::parse`), an order's quantity
//! (`Quantity`, and no more than the places left), and a number written as the
//! language writes it (`say::push_number`, as the Worker writes its status lines).
//! Which field is at fault, what the shopper is told and when are the form's business,
//! in `js/dom.js`.

use alloc::string::String;

use restock_shared::phone::Phone;
use restock_shared::say::push_number;
use restock_shared::{Email, Lang, Quantity};
use wasm_bindgen::prelude::*;

/// A rule `crate::check` applies. wasm-bindgen exports the names to JavaScript, so
/// both sides take them from this one definition.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The text: what the shopper typed; gives the address as the Worker stores it
    /// (trimmed, its domain lowercased).
    Email = 0,
    /// The text: what the shopper typed; gives the number in E.164 (`+447700900123`).
    Phone = 1,
    /// The text: what the shopper typed; `n`: the places left. Gives the whole number.
    Quantity = 2,
    /// The text: a language's tag (`de`); `n`: a number. Gives it as the language
    /// writes it (`12.345`).
    Number = 3,
}

impl Rule {
    pub const ALL: [Rule; 4] = [Rule::Email, Rule::Phone, Rule::Quantity, Rule::Number];
}

/// What `rule` makes of `text` (and `n`): the value to send or show, or `None` when
/// the rule refuses it.
pub fn apply(rule: Rule, text: &str, n: u32) -> Option<String> {
    match rule {
        Rule::Email => Email::parse(text).ok().map(|e| String::from(e.as_str())),
        Rule::Phone => Phone::parse(text).ok().map(|p| String::from(p.as_str())),
        Rule::Quantity => {
            let q = whole(text).and_then(|q| Quantity::new(q).ok()).filter(|q| q.get() <= n)?;
            Some(number(Lang::En, q.get()))
        }
        Rule::Number => Some(number(Lang::from_exact_tag(text).unwrap_or_default(), n)),
    }
}

fn number(lang: Lang, n: u32) -> String {
    let mut out = String::new();
    push_number(&mut out, lang, n);
    out
}

/// The whole number a quantity field holds (digits, spaces around them allowed).
/// Byte by byte: `str::parse` and `trim` pull number-parsing and Unicode tables into
/// the wasm.
fn whole(field: &str) -> Option<i64> {
    let digits = field.trim_ascii();
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    digits.bytes().try_fold(0i64, |n, c| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(rule: Rule, text: &str, n: u32, expected: Option<&str>) {
        assert_eq!(apply(rule, text, n).as_deref(), expected, "{rule:?} {text:?} {n}");
    }

    #[test]
    fn emails_are_read_as_the_worker_reads_them() {
        check(Rule::Email, " Ada@Example.COM ", 0, Some("Ada@example.com"));
        for bad in ["", " ", "not an email", "a@b", "a@@b.co", "a..b@c.co", "ä@b.co", "a@-b.co"] {
            check(Rule::Email, bad, 0, None);
        }
    }

    #[test]
    fn phones_are_e164_as_the_worker_reads_them() {
        check(Rule::Phone, "+44 (7700) 900-123", 0, Some("+447700900123"));
        check(Rule::Phone, "0044 7700 900123", 0, Some("+447700900123"));
        for bad in ["", " ", "07700 900123", "+44 (0) 7700 900123", "+44 7700 900123 x2", "+1 234", "garbage"] {
            check(Rule::Phone, bad, 0, None);
        }
    }

    #[test]
    fn quantities_are_whole_numbers_from_one_to_the_places_left() {
        check(Rule::Quantity, " 3 ", 3, Some("3"));
        check(Rule::Quantity, "1", 999, Some("1"));
        for bad in ["0", "4", "-1", "x", "1.5", "", " ", "+2", "1e0", "999999999999", "03a"] {
            check(Rule::Quantity, bad, 3, None);
        }
        check(Rule::Quantity, "1000", 5000, None);
    }

    #[test]
    fn numbers_are_written_as_the_language_writes_them() {
        check(Rule::Number, "de", 12_345, Some("12.345"));
        check(Rule::Number, "en", 12_345, Some("12,345"));
        check(Rule::Number, "fr", 12_345, Some("12\u{202f}345"));
        check(Rule::Number, "es", 1_234, Some("1234"));
        check(Rule::Number, "xx", 7, Some("7"));
        for (i, rule) in Rule::ALL.into_iter().enumerate() {
            assert_eq!(rule as usize, i, "{rule:?} is its own number");
        }
    }
}
