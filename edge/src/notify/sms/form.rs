//! `application/x-www-form-urlencoded` (WHATWG URL standard, section 5): what Twilio's
//! API takes and what its webhooks send.
//!
//! Serializing keeps ASCII letters, digits and `*-._`, writes a space as `+` and every
//! other UTF-8 byte as `%XX`, so a `+` in a phone number travels as `%2B` (a bare `+`
//! would arrive as a space). Parsing is the standard's too: `+` is a space, `%XX` a
//! byte, a `%` not followed by two hex digits stays as it is, and bytes that are not
//! UTF-8 become U+FFFD; it never fails, because a signature check must see the
//! parameters the way the sender's framework did.

/// `name=value&...` with both sides encoded, in the given order.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(&mut out, name);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}

fn push_encoded(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}

/// The name/value pairs of a form body, decoded, in order (empty pieces skipped; a
/// piece without `=` is a name with an empty value).
pub fn parse_form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let escaped = match (c, b.get(i + 1).copied().and_then(hex_value), b.get(i + 2).copied().and_then(hex_value)) {
            (b'%', Some(hi), Some(lo)) => Some((hi << 4) | lo),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(if c == b'+' { b' ' } else { c });
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn encodes_like_a_browser_form() {
        assert_eq!(
            encode(&[("To", "+447700900123"), ("Body", "Back in stock!")]),
            "To=%2B447700900123&Body=Back+in+stock%21"
        );
        assert_eq!(encode(&[("Body", "a&b=c%d+e")]), "Body=a%26b%3Dc%25d%2Be");
        assert_eq!(encode(&[("Body", "Café ✓\n~")]), "Body=Caf%C3%A9+%E2%9C%93%0A%7E");
        assert_eq!(encode(&[("k", "*-._")]), "k=*-._");
        assert_eq!(encode(&[]), "");
    }

    #[test]
    fn parses_what_twilio_and_browsers_send() {
        assert_eq!(
            parse_form("From=%2B447700900123&Body=Stop+please&NumMedia=0"),
            pairs(&[("From", "+447700900123"), ("Body", "Stop please"), ("NumMedia", "0")])
        );
        assert_eq!(parse_form("Body=Caf%c3%a9%20%E2%9C%93"), pairs(&[("Body", "Café ✓")]));
        assert_eq!(parse_form("a=1&&b&c=x=y&"), pairs(&[("a", "1"), ("b", ""), ("c", "x=y")]));
        assert_eq!(parse_form("a=100%&b=%zz&c=%4"), pairs(&[("a", "100%"), ("b", "%zz"), ("c", "%4")]));
        assert_eq!(parse_form("a=%ff"), pairs(&[("a", "\u{fffd}")]));
        assert_eq!(parse_form("a=%2B1"), pairs(&[("a", "+1")]));
        assert_eq!(parse_form("a=%+1"), pairs(&[("a", "% 1")]), "%+1 is not an escape");
        assert_eq!(parse_form(""), Vec::new());
    }

    #[test]
    fn what_is_encoded_parses_back() {
        let fields = [("To", "+1 (415) 555-2671"), ("Body", "Ünïcode & 100% + \"quotes\"\r\n"), ("", "=")];
        let parsed = parse_form(&encode(&fields));
        assert_eq!(parsed, pairs(&fields));
    }
}
