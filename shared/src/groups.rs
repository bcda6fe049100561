//! Customer groups (B2B/B2C): which shoppers may backorder or preorder what.
//!
//! A merchant writes rules, each for one group (or `*`, everyone without a more
//! specific rule, shoppers with no group included) and for one SKU or the whole shop.
//! The rule that applies to a shopper of group `g` for SKU `s` is the first that
//! exists of: `(g, s)`, `(g, shop)`, `(*, s)`, `(*, shop)`; with none, the product's
//! own policy decides alone. A rule can turn backorders and preorders off for that
//! group and cap the units one order may ask for.
//!
//! The group comes from the shop's own server as a signed token the widget carries:
//! `{group}.{expires}.{signature}`, where `expires` is Unix seconds and `signature` is
//! the lowercase hex HMAC-SHA256 of `{shop}.{group}.{expires}` under the shop's group
//! key. This module parses the token and checks its lifetime; the Worker computes and
//! compares the HMAC (constant time), since hashing is not the domain's business.

use crate::prelude::*;

use serde::{Deserialize, Serialize};

use crate::availability::OrderKind;
use crate::input::{InvalidInput, Quantity, ShopId, Sku};
use crate::wire::{AvailabilityView, StatusCode};

/// A customer group's name: 1-32 of `a-z 0-9 _ -`, starting with a letter or digit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Group(String);

impl Group {
    pub const MAX_LEN: usize = 32;

    pub fn parse(input: &str) -> Result<Group, InvalidInput> {
        let b = input.as_bytes();
        let ok = (1..=Self::MAX_LEN).contains(&b.len())
            && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
            && b.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-');
        if ok {
            Ok(Group(input.to_owned()))
        } else {
            Err(InvalidInput::Range {
                field: "group",
                detail: "1-32 of a-z, 0-9, _ and -, starting with a letter or digit",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who a rule is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// `*`: every shopper without a rule for their own group, and shoppers with no group.
    Everyone,
    Group(Group),
}

/// One rule as the merchant writes it (`PUT /v1/admin/groups`) and as it is stored.
/// Optional fields are absent, never `null`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    /// A group name, or `*`.
    pub group: String,
    /// One SKU; absent for the whole shop.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub backorder: bool,
    pub preorder: bool,
    /// The most units one order may ask for (1-999); absent: the product's own limit.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub max_quantity: Option<i64>,
}

/// A field that may be absent but is never `null`.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A parsed rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub selector: Selector,
    pub sku: Option<Sku>,
    pub backorder: bool,
    pub preorder: bool,
    pub max_quantity: Option<Quantity>,
}

/// What one shopper may order of one SKU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowed {
    pub backorder: bool,
    pub preorder: bool,
    pub max_quantity: Option<u32>,
}

impl Allowed {
    /// No rule applies: the product's policy alone decides.
    pub const ANY: Allowed = Allowed { backorder: true, preorder: true, max_quantity: None };
    /// Nothing may be ordered (a stored rule set that cannot be read fails closed).
    pub const NONE: Allowed = Allowed { backorder: false, preorder: false, max_quantity: None };
}

/// A refused rule, with its index in the list (the field is `rules[i].<field>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub index: usize,
    pub error: InvalidInput,
}

/// A shop's rules. Kept small (at most [`GroupRules::MAX`]): every public read of the
/// shop carries them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct GroupRules {
    rules: Vec<Rule>,
    /// The stored rules could not be read: nothing may be ordered until they are set
    /// again (fail closed, never "no rules").
    unreadable: bool,
}

impl GroupRules {
    pub const MAX: usize = 200;

    /// Validates a merchant's rules: each group and SKU well-formed, at most one rule
    /// per (group, SKU), at most [`GroupRules::MAX`].
    pub fn parse(raw: &[RuleRequest]) -> Result<GroupRules, RuleError> {
        if raw.len() > Self::MAX {
            return Err(RuleError {
                index: Self::MAX,
                error: InvalidInput::Range { field: "rules", detail: "at most 200 rules" },
            });
        }
        let mut rules: Vec<Rule> = Vec::with_capacity(raw.len());
        for (index, r) in raw.iter().enumerate() {
            let fail = |error| RuleError { index, error };
            let selector = if r.group == "*" {
                Selector::Everyone
            } else {
                Selector::Group(Group::parse(&r.group).map_err(fail)?)
            };
            let sku = r.sku.as_deref().map(Sku::parse).transpose().map_err(fail)?;
            let max_quantity = r
                .max_quantity
                .map(|q| {
                    Quantity::new(q).map_err(|_| InvalidInput::Range { field: "max_quantity", detail: "1 to 999" })
                })
                .transpose()
                .map_err(fail)?;
            if rules.iter().any(|x| x.selector == selector && x.sku == sku) {
                return Err(fail(InvalidInput::Range {
                    field: "group",
                    detail: "one rule per group and SKU (or per group for the whole shop)",
                }));
            }
            rules.push(Rule { selector, sku, backorder: r.backorder, preorder: r.preorder, max_quantity });
        }
        Ok(GroupRules { rules, unreadable: false })
    }

    /// Rules as stored (their wire form, decoded by the caller; `None` when the stored
    /// text did not decode). Stored rules that are not valid give a rule set that
    /// allows no orders.
    pub fn from_stored(parsed: Option<Vec<RuleRequest>>) -> GroupRules {
        match parsed.map(|raw| GroupRules::parse(&raw)) {
            Some(Ok(rules)) => rules,
            _ => GroupRules { rules: Vec::new(), unreadable: true },
        }
    }

    /// Whether the stored rules were unreadable (the Worker reports it).
    pub fn is_unreadable(&self) -> bool {
        self.unreadable
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && !self.unreadable
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// The rules in their wire form (what is stored and shown).
    pub fn requests(&self) -> Vec<RuleRequest> {
        self.rules
            .iter()
            .map(|r| RuleRequest {
                group: match &r.selector {
                    Selector::Everyone => "*".to_owned(),
                    Selector::Group(g) => g.as_str().to_owned(),
                },
                sku: r.sku.as_ref().map(|s| s.as_str().to_owned()),
                backorder: r.backorder,
                preorder: r.preorder,
                max_quantity: r.max_quantity.map(|q| i64::from(q.get())),
            })
            .collect()
    }

    /// What a shopper of `group` (none: no token) may order of `sku`.
    pub fn allowed(&self, group: Option<&Group>, sku: &Sku) -> Allowed {
        if self.unreadable {
            return Allowed::NONE;
        }
        let find = |selector: &Selector, sku: Option<&Sku>| {
            self.rules.iter().find(|r| &r.selector == selector && r.sku.as_ref() == sku)
        };
        let named = group.map(|g| Selector::Group(g.clone()));
        let order = [
            named.as_ref().map(|s| (s, Some(sku))),
            named.as_ref().map(|s| (s, None)),
            Some((&Selector::Everyone, Some(sku))),
            Some((&Selector::Everyone, None)),
        ];
        for (selector, sku) in order.into_iter().flatten() {
            if let Some(r) = find(selector, sku) {
                return Allowed {
                    backorder: r.backorder,
                    preorder: r.preorder,
                    max_quantity: r.max_quantity.map(Quantity::get),
                };
            }
        }
        Allowed::ANY
    }
}

/// The availability a shopper of a group sees: a backorder or preorder their group may
/// not place reads as out of stock (the waitlist and the ETA stay as they were), and
/// the most they may order is their group's limit.
pub fn restrict(view: &mut AvailabilityView, allowed: Allowed) {
    let closed = match view.status {
        StatusCode::Backorder => !allowed.backorder,
        StatusCode::Preorder => !allowed.preorder,
        _ => false,
    };
    if closed {
        view.status = StatusCode::OutOfStock;
        view.left = None;
        view.release_date = None;
        view.max_quantity = 0;
    } else if let Some(max) = allowed.max_quantity {
        view.max_quantity = view.max_quantity.min(max);
    }
}

/// Why a group may not place an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GroupRefusal {
    #[error("your customer group cannot order this product before it is in stock")]
    NotForGroup,
    #[error("your customer group can order at most {max} units at once")]
    TooMany { max: u32 },
}

impl GroupRefusal {
    pub fn code(self) -> &'static str {
        match self {
            GroupRefusal::NotForGroup => "group_not_allowed",
            GroupRefusal::TooMany { .. } => "group_quantity_limit",
        }
    }
}

/// Whether a shopper whose group allows `allowed` may place an order of `kind` for
/// `quantity` units.
pub fn check(allowed: Allowed, kind: OrderKind, quantity: Quantity) -> Result<(), GroupRefusal> {
    let open = match kind {
        OrderKind::Backorder => allowed.backorder,
        OrderKind::Preorder => allowed.preorder,
    };
    if !open {
        return Err(GroupRefusal::NotForGroup);
    }
    match allowed.max_quantity {
        Some(max) if quantity.get() > max => Err(GroupRefusal::TooMany { max }),
        _ => Ok(()),
    }
}

/// A group token as sent, before its signature is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupClaim {
    pub group: Group,
    /// Unix seconds after which the token no longer works.
    pub expires: i64,
    pub signature: [u8; 32],
}

/// Why a group token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the group token must be {{group}}.{{expires}}.{{64 hex digits}}")]
    Malformed,
    #[error("the group token has expired: the shop's page must sign a new one")]
    Expired,
    #[error("the group token is valid for too long: at most 31 days ahead")]
    TooLong,
    #[error("the group token's signature does not match this shop's group key")]
    BadSignature,
}

impl TokenError {
    /// Every variant's code: the widget drops a token the Worker refused with one of
    /// these and asks again without it.
    pub const CODES: [&'static str; 4] =
        ["invalid_group_token", "group_token_expired", "group_token_too_long", "group_token_signature"];

    pub fn code(self) -> &'static str {
        match self {
            TokenError::Malformed => "invalid_group_token",
            TokenError::Expired => "group_token_expired",
            TokenError::TooLong => "group_token_too_long",
            TokenError::BadSignature => "group_token_signature",
        }
    }
}

/// The longest a token may be valid for: a page that signs one for a month at most.
pub const MAX_LIFETIME_SECS: i64 = 31 * 86_400;

impl GroupClaim {
    /// Parses `{group}.{expires}.{hex signature}`.
    pub fn parse(token: &str) -> Result<GroupClaim, TokenError> {
        let mut parts = token.split('.');
        let (Some(group), Some(expires), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let group = Group::parse(group).map_err(|_| TokenError::Malformed)?;
        let digits = !expires.is_empty() && expires.len() <= 12 && expires.bytes().all(|b| b.is_ascii_digit());
        let expires: i64 = if digits {
            expires.parse().map_err(|_| TokenError::Malformed)?
        } else {
            return Err(TokenError::Malformed);
        };
        let signature = hex32(sig).ok_or(TokenError::Malformed)?;
        Ok(GroupClaim { group, expires, signature })
    }

    /// The text the shop's server signs: `{shop}.{group}.{expires}`.
    pub fn signed_text(&self, shop: &ShopId) -> String {
        signed_text(shop, &self.group, self.expires)
    }

    /// Whether the token is valid at `now_secs`: not expired, and not valid for longer
    /// than [`MAX_LIFETIME_SECS`].
    pub fn check_time(&self, now_secs: i64) -> Result<(), TokenError> {
        if self.expires <= now_secs {
            return Err(TokenError::Expired);
        }
        if self.expires - now_secs > MAX_LIFETIME_SECS {
            return Err(TokenError::TooLong);
        }
        Ok(())
    }
}

/// `{shop}.{group}.{expires}`: what a group token's signature covers.
pub fn signed_text(shop: &ShopId, group: &Group, expires: i64) -> String {
    format!("{}.{}.{expires}", shop.as_str(), group.as_str())
}

/// Exactly 64 lowercase hex digits as 32 bytes.
fn hex32(text: &str) -> Option<[u8; 32]> {
    let b = text.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(group: &str, sku: Option<&str>, backorder: bool, preorder: bool, max: Option<i64>) -> RuleRequest {
        RuleRequest { group: group.into(), sku: sku.map(str::to_owned), backorder, preorder, max_quantity: max }
    }

    fn sku(s: &str) -> Sku {
        Sku::parse(s).expect("valid")
    }

    fn group(g: &str) -> Group {
        Group::parse(g).expect("valid")
    }

    #[test]
    fn group_names_are_refused_not_repaired() {
        assert!(Group::parse("b2b").is_ok());
        assert!(Group::parse("wholesale_eu-1").is_ok());
        for bad in ["", "B2B", "-x", "a b", "é", &"a".repeat(33), "*"] {
            assert_eq!(Group::parse(bad).map_err(|e| e.field()), Err("group"), "{bad:?}");
        }
    }

    #[test]
    fn the_most_specific_rule_applies() {
        let rules = GroupRules::parse(&[
            rule("*", None, false, true, None),
            rule("b2b", None, true, true, Some(500)),
            rule("b2b", Some("LAMP"), false, false, None),
            rule("*", Some("MUG"), true, false, Some(2)),
        ])
        .expect("valid");
        let b2b = group("b2b");
        let retail = group("retail");
        let check = |g: Option<&Group>, s: &str, expected: (bool, bool, Option<u32>)| {
            let a = rules.allowed(g, &sku(s));
            assert_eq!((a.backorder, a.preorder, a.max_quantity), expected, "{g:?} {s}");
        };
        check(Some(&b2b), "LAMP", (false, false, None));
        check(Some(&b2b), "MUG", (true, true, Some(500)));
        check(Some(&b2b), "TEE", (true, true, Some(500)));
        check(Some(&retail), "MUG", (true, false, Some(2)));
        check(Some(&retail), "TEE", (false, true, None));
        check(None, "TEE", (false, true, None));
        check(None, "MUG", (true, false, Some(2)));
        assert_eq!(GroupRules::default().allowed(None, &sku("TEE")), Allowed::ANY);
    }

    #[test]
    fn bad_rules_name_their_index_and_field() {
        let check = |raw: Vec<RuleRequest>, expected: (usize, &str, &str)| {
            let e = GroupRules::parse(&raw).expect_err("refused");
            assert_eq!((e.index, e.error.field(), e.error.code()), expected);
        };
        check(
            vec![rule("*", None, true, true, None), rule("B2B", None, true, true, None)],
            (1, "group", "out_of_range"),
        );
        check(vec![rule("b2b", Some("a b"), true, true, None)], (0, "sku", "invalid_sku"));
        check(vec![rule("b2b", None, true, true, Some(0))], (0, "max_quantity", "out_of_range"));
        check(vec![rule("b2b", None, true, true, Some(1000))], (0, "max_quantity", "out_of_range"));
        check(
            vec![rule("b2b", Some("A"), true, true, None), rule("b2b", Some("A"), false, true, None)],
            (1, "group", "out_of_range"),
        );
        let many: Vec<RuleRequest> = (0..201).map(|i| rule("*", Some(&format!("S{i}")), true, true, None)).collect();
        check(many, (200, "rules", "out_of_range"));
    }

    #[test]
    fn unreadable_stored_rules_fail_closed() {
        let r = GroupRules::from_stored(None);
        assert!(r.is_unreadable());
        assert_eq!(r.allowed(None, &sku("A")), Allowed::NONE);
        let stored = vec![rule("b2b", None, true, false, None)];
        let r = GroupRules::from_stored(Some(stored.clone()));
        assert_eq!(r.requests(), stored, "rules round-trip through their wire form");
    }

    fn view(status: StatusCode, left: Option<u32>, max: u32) -> AvailabilityView {
        AvailabilityView {
            sku: "A".into(),
            name: "A".into(),
            status,
            left,
            release_date: None,
            eta: None,
            waitlist: true,
            max_quantity: max,
        }
    }

    #[test]
    fn a_closed_order_kind_reads_as_out_of_stock() {
        let mut v = view(StatusCode::Backorder, Some(7), 7);
        restrict(&mut v, Allowed { backorder: false, preorder: true, max_quantity: None });
        assert_eq!((v.status, v.left, v.max_quantity, v.waitlist), (StatusCode::OutOfStock, None, 0, true));
        let mut v = view(StatusCode::Backorder, Some(7), 7);
        restrict(&mut v, Allowed { backorder: true, preorder: false, max_quantity: Some(3) });
        assert_eq!((v.status, v.max_quantity), (StatusCode::Backorder, 3));
        let mut v = view(StatusCode::InStock, None, 0);
        restrict(&mut v, Allowed::NONE);
        assert_eq!(v.status, StatusCode::InStock, "in stock is never hidden");
    }

    #[test]
    fn orders_are_checked_against_the_group() {
        let q = |n| Quantity::new(n).expect("valid");
        let a = Allowed { backorder: true, preorder: false, max_quantity: Some(5) };
        assert_eq!(check(a, OrderKind::Backorder, q(5)), Ok(()));
        assert_eq!(check(a, OrderKind::Backorder, q(6)), Err(GroupRefusal::TooMany { max: 5 }));
        assert_eq!(check(a, OrderKind::Preorder, q(1)), Err(GroupRefusal::NotForGroup));
        assert_eq!(check(Allowed::ANY, OrderKind::Preorder, q(999)), Ok(()));
    }

    #[test]
    fn tokens_parse_strictly_and_expire() {
        let sig = "0f".repeat(32);
        let c = GroupClaim::parse(&format!("b2b.1800000000.{sig}")).expect("valid");
        assert_eq!((c.group.as_str(), c.expires, c.signature[0]), ("b2b", 1_800_000_000, 0x0f));
        let shop = ShopId::parse("acme").expect("valid");
        assert_eq!(c.signed_text(&shop), "acme.b2b.1800000000");
        for bad in [
            String::new(),
            format!("b2b.1800000000.{}", "0F".repeat(32)),
            format!("b2b.1800000000.{}", "0f".repeat(31)),
            format!("B2B.1800000000.{sig}"),
            format!("b2b.-1.{sig}"),
            format!("b2b..{sig}"),
            format!("b2b.1800000000.{sig}.x"),
            "b2b.1800000000".to_owned(),
        ] {
            assert_eq!(GroupClaim::parse(&bad), Err(TokenError::Malformed), "{bad:?}");
        }
        assert_eq!(c.check_time(1_799_999_999), Ok(()));
        assert_eq!(c.check_time(1_800_000_000), Err(TokenError::Expired));
        assert_eq!(c.check_time(1_800_000_000 - MAX_LIFETIME_SECS - 1), Err(TokenError::TooLong));
    }

    #[test]
    fn the_token_codes_are_every_variants() {
        let all = [TokenError::Malformed, TokenError::Expired, TokenError::TooLong, TokenError::BadSignature];
        assert_eq!(all.map(TokenError::code), TokenError::CODES);
    }
}
