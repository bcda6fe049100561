//! What a merchant decided: per-product selling policy and per-shop rules, plus the
//! stock facts the rules are applied to (on hand, holds, incoming purchase orders,
//! the open backorder queue).

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::input::InvalidInput;

/// What happens when a product has no sellable units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Out of stock means out of stock (the waitlist may still be open).
    Deny,
    /// Take orders now and ship when stock lands, up to `cap` outstanding units
    /// (`None`: no cap).
    Backorder { cap: Option<u32> },
    /// Take orders before `release`, up to `cap` outstanding units. On and after the
    /// release day the product behaves like `Backorder` with the same cap.
    Preorder { release: Date, cap: Option<u32> },
}

impl Policy {
    /// Outstanding units allowed: `None` is unlimited, and `Deny` allows none.
    pub fn cap(self) -> Option<u32> {
        match self {
            Policy::Deny => Some(0),
            Policy::Backorder { cap } | Policy::Preorder { cap, .. } => cap,
        }
    }

    /// The wire name: `deny`, `backorder` or `preorder`.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Deny => "deny",
            Policy::Backorder { .. } => "backorder",
            Policy::Preorder { .. } => "preorder",
        }
    }

    /// Builds a policy from its stored/wire parts, refusing combinations that mean
    /// nothing (a preorder without a release date, a release date or a cap on a deny
    /// policy: deny takes no orders, so a cap would be silently dropped).
    pub fn from_parts(name: &str, cap: Option<u32>, release: Option<Date>) -> Result<Policy, InvalidInput> {
        match (name, cap, release) {
            ("deny", None, None) => Ok(Policy::Deny),
            ("backorder", cap, None) => Ok(Policy::Backorder { cap }),
            ("preorder", cap, Some(release)) => Ok(Policy::Preorder { release, cap }),
            ("preorder", _, None) => Err(InvalidInput::Missing { field: "release_date" }),
            ("deny" | "backorder", _, Some(_)) => {
                Err(InvalidInput::Range { field: "release_date", detail: "only preorders have a release date" })
            }
            ("deny", Some(_), None) => Err(InvalidInput::Range {
                field: "cap",
                detail: "only backorder and preorder policies have a cap (deny takes no orders)",
            }),
            _ => Err(InvalidInput::Range { field: "policy", detail: "one of deny, backorder, preorder" }),
        }
    }

    /// The policy a merchant asks for (a product's `PUT`): [`Policy::from_parts`], and
    /// also refusing what would silently mean something else. A cap of 0 takes no
    /// orders, which is what `deny` says (a cap is 1 or more, or none for no limit). A
    /// preorder released before `today` would be sold as a backorder from the moment it
    /// is saved; `current` is the product's release date now, so a replace that keeps a
    /// date that has since passed (editing the name of a released preorder) is not
    /// refused. On and after its release day a preorder sells as a backorder.
    pub fn from_request(
        name: &str,
        cap: Option<u32>,
        release: Option<Date>,
        today: Date,
        current: Option<Date>,
    ) -> Result<Policy, InvalidInput> {
        let policy = Policy::from_parts(name, cap, release)?;
        if cap == Some(0) {
            return Err(InvalidInput::Range {
                field: "cap",
                detail: "1 or more, or null for no cap (a product that takes no orders has policy deny)",
            });
        }
        if let Policy::Preorder { release, .. } = policy
            && release < today
            && current != Some(release)
        {
            return Err(InvalidInput::DateInPast { field: "release_date" });
        }
        Ok(policy)
    }
}

/// A product's selling settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProductSettings {
    pub policy: Policy,
    /// Show "only N left" at or below this many sellable units; 0 turns it off.
    pub low_stock_threshold: u32,
    /// No more stock will come: no ETA, no backorders, no waitlist once sold out.
    pub discontinued: bool,
    /// Days from ordering to receiving stock from the supplier, when known.
    pub lead_time_days: Option<u16>,
    pub waitlist: bool,
}

impl Default for ProductSettings {
    fn default() -> Self {
        ProductSettings {
            policy: Policy::Deny,
            low_stock_threshold: 0,
            discontinued: false,
            lead_time_days: None,
            waitlist: true,
        }
    }
}

/// Shop-wide rules that change dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ShopRules {
    /// Days between stock landing and the parcel leaving (added to every ETA).
    pub handling_days: u16,
}

/// Units a product has now. `held` are units reserved for notified waitlist
/// subscribers (claim holds); they are on hand but not sellable to anyone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Stock {
    pub on_hand: u32,
    pub held: u32,
}

impl Stock {
    pub fn sellable(self) -> u32 {
        self.on_hand.saturating_sub(self.held)
    }
}

/// A purchase order not yet received: `quantity` units expected on `expected`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingPo {
    pub quantity: u32,
    pub expected: Date,
}

/// An open backorder or preorder in the queue, oldest first. `allocated` units of its
/// `quantity` have already been set aside for it (partial fill).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedOrder<Id> {
    pub id: Id,
    pub quantity: u32,
    pub allocated: u32,
    pub placed_on: Date,
    /// The ship date the shopper was last promised (`None`: no date was given, or the
    /// last notice said the date is unknown).
    pub promised: Option<Date>,
}

impl<Id> QueuedOrder<Id> {
    /// Units still owed.
    pub fn outstanding(&self) -> u32 {
        self.quantity.saturating_sub(self.allocated)
    }
}

/// Units still owed across a queue.
pub fn outstanding<Id>(queue: &[QueuedOrder<Id>]) -> u32 {
    queue.iter().fold(0u32, |sum, o| sum.saturating_add(o.outstanding()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_parts_must_make_sense() {
        let d = Date::from_ymd(2027, 1, 15).expect("valid");
        assert_eq!(Policy::from_parts("deny", None, None), Ok(Policy::Deny));
        assert_eq!(Policy::from_parts("backorder", Some(5), None), Ok(Policy::Backorder { cap: Some(5) }));
        assert_eq!(Policy::from_parts("preorder", None, Some(d)), Ok(Policy::Preorder { release: d, cap: None }));
        assert_eq!(Policy::from_parts("preorder", None, None).map_err(|e| e.code()), Err("missing_field"));
        assert_eq!(Policy::from_parts("deny", None, Some(d)).map_err(|e| e.code()), Err("out_of_range"));
        assert_eq!(Policy::from_parts("DROP TABLE", None, None).map_err(|e| e.field()), Err("policy"));
        let cap_on_deny = Policy::from_parts("deny", Some(5), None).map_err(|e| (e.code(), e.field()));
        assert_eq!(cap_on_deny, Err(("out_of_range", "cap")), "a cap on deny is refused, not dropped");
    }

    fn check_request(
        name: &str,
        cap: Option<u32>,
        release: Option<Date>,
        current: Option<Date>,
        expected: Result<Policy, (&str, &str)>,
    ) {
        let today = Date::from_ymd(2027, 1, 15).expect("valid");
        let got = Policy::from_request(name, cap, release, today, current).map_err(|e| (e.code(), e.field()));
        assert_eq!(got, expected, "{name} cap {cap:?} release {release:?} current {current:?}");
    }

    #[test]
    fn requested_policies_refuse_what_would_mean_something_else() {
        let today = Date::from_ymd(2027, 1, 15).expect("valid");
        let yesterday = Date::from_ymd(2027, 1, 14).expect("valid");
        check_request("backorder", Some(1), None, None, Ok(Policy::Backorder { cap: Some(1) }));
        check_request("backorder", None, None, None, Ok(Policy::Backorder { cap: None }));
        check_request("backorder", Some(0), None, None, Err(("out_of_range", "cap")));
        check_request("preorder", Some(0), Some(today), None, Err(("out_of_range", "cap")));
        check_request("deny", Some(0), None, None, Err(("out_of_range", "cap")));
        check_request("deny", Some(3), None, None, Err(("out_of_range", "cap")));
        check_request("preorder", None, Some(today), None, Ok(Policy::Preorder { release: today, cap: None }));
        check_request("preorder", Some(4), Some(yesterday), None, Err(("date_in_past", "release_date")));
        check_request("preorder", None, Some(yesterday), Some(today), Err(("date_in_past", "release_date")));
        // Keeping the date a released preorder already has is not a new past date.
        let kept = Ok(Policy::Preorder { release: yesterday, cap: Some(4) });
        check_request("preorder", Some(4), Some(yesterday), Some(yesterday), kept);
        check_request("preorder", None, None, None, Err(("missing_field", "release_date")));
    }

    #[test]
    fn holds_are_not_sellable() {
        assert_eq!(Stock { on_hand: 5, held: 2 }.sellable(), 3);
        assert_eq!(Stock { on_hand: 1, held: 4 }.sellable(), 0);
    }
}
