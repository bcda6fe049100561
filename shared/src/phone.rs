//! Phone numbers for SMS alerts, in E.164 (`+` and 8-15 digits, country code first).
//!
//! [`Phone::parse`] takes what a shopper types into a form: a leading `+` or the `00`
//! international prefix, the digits, and spaces, dashes, dots and parentheses between
//! them. It strips those separators and nothing else: a number without a country code
//! is refused rather than guessed at (we have no country to assume), and so is the
//! British `+44 (0)20 ...` habit, because stripping the parentheses would dial
//! `+44020...`, a different number. No numbering-plan tables: the widget validates
//! with this too, so it stays small in wasm; the SMS provider is the
//! judge of whether a well-formed number exists.

use crate::prelude::*;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::input::InvalidInput;

/// Why a phone number was refused (the code is always `invalid_phone`, the field `phone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is required")]
    Empty,
    #[error("phone number may contain only digits, one leading +, spaces, dashes, dots and parentheses")]
    Characters,
    #[error("phone number must start with + (or 00) and the country code, which never starts with 0")]
    CountryCode,
    #[error("phone number must leave out the (0) after the country code")]
    TrunkZero,
    #[error("phone number must have 8 to 15 digits, country code included")]
    Length,
}

/// An E.164 number: `+`, then 8 to 15 ASCII digits, the first not `0`.
///
/// Comparing two `Phone`s compares numbers: every way of typing one number parses to
/// the same value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    /// Fewest digits we accept, country code included.
    pub const MIN_DIGITS: usize = 8;
    /// E.164's maximum, country code included.
    pub const MAX_DIGITS: usize = 15;

    pub fn parse(input: &str) -> Result<Phone, InvalidInput> {
        Self::parse_inner(input).map_err(InvalidInput::Phone)
    }

    // One pass over the bytes, no string searching (see the module comment on size).
    fn parse_inner(input: &str) -> Result<Phone, PhoneError> {
        let mut out = String::with_capacity(Self::MAX_DIGITS + 3);
        out.push('+');
        let mut digits = 0usize;
        let mut plus = false;
        let mut open = false;
        // The digits inside the current parentheses: a lone `0` there is a trunk prefix.
        let (mut group_len, mut group_zero, mut trunk_zero) = (0usize, false, false);
        let mut any = false;
        for &c in input.as_bytes() {
            match c {
                b'0'..=b'9' => {
                    any = true;
                    digits += 1;
                    // Past the maximum (plus a `00` prefix) the number is refused anyway.
                    if digits <= Self::MAX_DIGITS + 2 {
                        out.push(char::from(c));
                    }
                    if open {
                        group_len += 1;
                        group_zero = c == b'0';
                    }
                }
                b'+' if !plus && digits == 0 => {
                    any = true;
                    plus = true;
                }
                b'(' if !open => {
                    any = true;
                    open = true;
                    group_len = 0;
                }
                b')' if open => {
                    open = false;
                    trunk_zero |= group_len == 1 && group_zero;
                }
                b' ' | b'-' | b'.' => {}
                _ => return Err(PhoneError::Characters),
            }
        }
        if open {
            return Err(PhoneError::Characters);
        }
        if !any {
            return Err(PhoneError::Empty);
        }
        if !plus {
            // `00` is the international prefix: `0044 20...` is `+44 20...`.
            if !out.starts_with("+00") {
                return Err(PhoneError::CountryCode);
            }
            // Rebuilt rather than `replace_range`, whose range checks link panic
            // formatting into the widget's wasm.
            let rest = String::from(out.get(3..).unwrap_or_default());
            out.truncate(1);
            out.push_str(&rest);
            digits -= 2;
        }
        if out.as_bytes().get(1) == Some(&b'0') {
            return Err(PhoneError::CountryCode);
        }
        if trunk_zero {
            return Err(PhoneError::TrunkZero);
        }
        if !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits) {
            return Err(PhoneError::Length);
        }
        Ok(Phone(out))
    }

    /// `+` and the digits, as SMS APIs take it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but its first two and last two digits hidden, for screens
    /// and logs that should not show it whole: `+447700900989` is `+44••••••••89`.
    pub fn masked(&self) -> String {
        let digits = self.0.get(1..).unwrap_or_default();
        let n = digits.len();
        let mut out = String::with_capacity(n * 3);
        out.push('+');
        for (i, c) in digits.chars().enumerate() {
            out.push(if i < 2 || i + 2 >= n { c } else { '•' });
        }
        out
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Phone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <String as Deserialize>::deserialize(d)?;
        Phone::parse(&raw).map_err(|e| serde::de::Error::custom(e.code()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, PhoneError>) {
        let got = Phone::parse(input);
        let want = expected.map(str::to_owned).map_err(InvalidInput::Phone);
        assert_eq!(got.map(|p| p.as_str().to_owned()), want, "input {input:?}");
    }

    #[test]
    fn what_shoppers_type_becomes_e164() {
        check("+447700900123", Ok("+447700900123"));
        check("+44 7700 900123", Ok("+447700900123"));
        check("  +44 7700-900-123 ", Ok("+447700900123"));
        check("+1 (415) 555-2671", Ok("+14155552671"));
        check("+1.415.555.2671", Ok("+14155552671"));
        check("(+49) 30 1234567", Ok("+49301234567"));
        check("0044 7700 900123", Ok("+447700900123"));
        check("00 1 415 555 2671", Ok("+14155552671"));
        check("+39 06 1234 5678", Ok("+390612345678"));
        check("+81-3-1234-5678", Ok("+81312345678"));
        check("+5 0000000", Ok("+50000000"));
        check("+123456789012345", Ok("+123456789012345"));
    }

    #[test]
    fn anything_else_is_refused_not_repaired() {
        check("", Err(PhoneError::Empty));
        check("   ", Err(PhoneError::Empty));
        check(" - . ", Err(PhoneError::Empty));
        for bad in [
            "+44 7700 900123 ext 5",
            "+44/7700/900123",
            "+44\t7700900123",
            "+44 7700 900123\n",
            "+44\u{a0}7700900123",
            "\u{202d}+447700900123\u{202c}",
            "+44 7700 ٩٠٠١٢٣",
            "++447700900123",
            "+44+7700900123",
            "44+7700900123",
            "+44 (7700 900123",
            "+44 7700) 900123",
            "+44 ((7700)) 900123",
            "tel:+447700900123",
            "+44 7700 900123;",
            "+44_7700_900123",
        ] {
            check(bad, Err(PhoneError::Characters));
        }
        for bad in ["07700 900123", "7700900123", "+0 44 7700 900123", "000 44 7700 900123", "(0)20 7946 0958"] {
            check(bad, Err(PhoneError::CountryCode));
        }
        check("+44 (0)20 7946 0958", Err(PhoneError::TrunkZero));
        check("0044 (0) 20 7946 0958", Err(PhoneError::TrunkZero));
        check("+", Err(PhoneError::Length));
        check("+1 234 567", Err(PhoneError::Length));
        check("00 1234 567", Err(PhoneError::Length));
        check("0 0", Err(PhoneError::Length));
        check("+1234567890123456", Err(PhoneError::Length));
        check(&format!("+{}", "1".repeat(400)), Err(PhoneError::Length));
    }

    #[test]
    fn every_phone_error_has_one_code_and_field() {
        for bad in ["", "x", "07700900123", "+44 (0)1", "+1"] {
            let err = Phone::parse(bad).expect_err(bad);
            assert_eq!((err.code(), err.field()), ("invalid_phone", "phone"), "{bad:?}");
        }
    }

    #[test]
    fn masking_keeps_the_first_and_last_two_digits() {
        let masked = |s: &str| Phone::parse(s).map(|p| p.masked()).unwrap_or_default();
        assert_eq!(masked("+44 7700 900989"), "+44••••••••89");
        assert_eq!(masked("+12345678"), "+12••••78");
        assert_eq!(masked("+123456789012345"), "+12•••••••••••45");
    }

    #[test]
    fn phones_serialize_as_e164_and_deserialize_through_parse() {
        let p: Phone = serde_json::from_str("\"+44 7700 900123\"").expect("valid");
        assert_eq!(p.as_str(), "+447700900123");
        assert_eq!(serde_json::to_string(&p).ok().as_deref(), Some("\"+447700900123\""));
        assert_eq!(p.to_string(), "+447700900123");
        assert!(serde_json::from_str::<Phone>("\"07700 900123\"").is_err());
    }

    /// A separator the parser strips, or none.
    fn separator(n: u8) -> &'static str {
        ["", "", " ", "-", "."][usize::from(n % 5)]
    }

    proptest::proptest! {
        #[test]
        fn parse_is_idempotent_and_canonical(s in "[-+0-9 ().]{0,24}") {
            if let Ok(p) = Phone::parse(&s) {
                proptest::prop_assert_eq!(Phone::parse(p.as_str()), Ok(p.clone()));
                let b = p.as_str().as_bytes();
                proptest::prop_assert_eq!(b[0], b'+');
                proptest::prop_assert!(b[1] != b'0');
                proptest::prop_assert!(b[1..].iter().all(u8::is_ascii_digit));
                proptest::prop_assert!((Phone::MIN_DIGITS..=Phone::MAX_DIGITS).contains(&(b.len() - 1)));
                proptest::prop_assert_eq!(p.masked().chars().count(), b.len());
            }
        }

        #[test]
        fn any_formatting_of_a_number_parses_to_it(
            first in 1u8..=9,
            rest in proptest::collection::vec((0u8..=9, 0u8..=9), 7..=14),
            zeros in proptest::bool::ANY,
        ) {
            let mut want = format!("+{first}");
            let mut typed = if zeros { format!("00{first}") } else { format!("+{first}") };
            for (digit, sep) in &rest {
                want.push(char::from(b'0' + digit));
                typed.push_str(separator(*sep));
                typed.push(char::from(b'0' + digit));
            }
            proptest::prop_assert_eq!(Phone::parse(&typed).map(|p| p.as_str().to_owned()), Ok(want));
        }
    }
}
