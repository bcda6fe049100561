//! Which D1 database holds a shop: the one place that decides it, so that sharding is
//! configuration. Every database (binding) has the whole schema and a shop lives
//! entirely in one: its row, keys, catalog, queues, waitlists and deliveries.
//!
//! `D1_SHARDS` assigns shops to bindings other than `DB`, as `shop=BINDING` pairs
//! separated by commas (`acme=DB_2,globex=DB_2`); every other shop is in `DB`. Moving a
//! shop is copying its rows and changing its entry (docs/scale.md). At thousands of
//! shops the list becomes a directory table; callers keep asking [`binding`].
//!
//! Where the shop is known: a public path names it; an admin request is found by its
//! key in each database (one query per extra database, none with a single one);
//! `POST /v1/shops` by the id it creates; a queue job carries its database; a cron run
//! visits every database.

use crate::error::ApiError;

/// The database of every shop `D1_SHARDS` does not name.
pub const DEFAULT: &str = "DB";

/// Parsed `D1_SHARDS`: (shop, binding) pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shards(Vec<(String, String)>);

impl Shards {
    /// Parses `D1_SHARDS`; an entry that is not `shop=BINDING` (a binding of capital
    /// letters, digits and `_`) is an error naming it (reported by `/v1/health`).
    pub fn parse(value: Option<&str>) -> Result<Shards, String> {
        let mut out = Vec::new();
        for entry in value.unwrap_or_default().split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (shop, binding) = entry.split_once('=').map(|(s, b)| (s.trim(), b.trim())).unwrap_or(("", ""));
            let binding_ok = !binding.is_empty()
                && binding.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_');
            if shop.is_empty() || !binding_ok || restock_shared::ShopId::parse(shop).is_err() {
                return Err(format!("D1_SHARDS entry {entry:?} is not shop=BINDING"));
            }
            if out.iter().any(|(s, _): &(String, String)| s == shop) {
                return Err(format!("D1_SHARDS names shop {shop:?} twice"));
            }
            out.push((shop.to_owned(), binding.to_owned()));
        }
        Ok(Shards(out))
    }

    /// The binding of `shop`'s database.
    pub fn binding(&self, shop: &str) -> &str {
        self.0.iter().find(|(s, _)| s == shop).map_or(DEFAULT, |(_, b)| b.as_str())
    }

    /// Every database: `DB` first, then the others once each.
    pub fn all(&self) -> Vec<&str> {
        let mut out = vec![DEFAULT];
        for (_, b) in &self.0 {
            if !out.contains(&b.as_str()) {
                out.push(b);
            }
        }
        out
    }
}

/// The D1 binding `name` of this Worker.
pub fn open(env: &worker::Env, name: &str) -> Result<worker::D1Database, ApiError> {
    env.d1(name).map_err(|e| ApiError::Internal(format!("D1 binding {name}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shops_go_to_their_database_and_every_other_to_db() {
        let s = Shards::parse(Some(" acme=DB_2, globex = DB_2 ,initech=DB_3")).unwrap_or_default();
        assert_eq!(s.binding("acme"), "DB_2");
        assert_eq!(s.binding("globex"), "DB_2");
        assert_eq!(s.binding("initech"), "DB_3");
        assert_eq!(s.binding("demo"), DEFAULT);
        assert_eq!(s.all(), vec!["DB", "DB_2", "DB_3"]);
        assert_eq!(Shards::parse(None).unwrap_or_default().all(), vec!["DB"]);
        assert_eq!(Shards::parse(Some("")).unwrap_or_default().all(), vec!["DB"]);
        assert_eq!(Shards::parse(None), Ok(Shards::default()));
    }

    #[test]
    fn a_malformed_entry_is_an_error_not_a_guess() {
        for bad in ["acme", "acme=", "=DB_2", "acme=db_2", "ac me=DB_2", "acme=DB_2,acme=DB_3", "acme=DB-2"] {
            assert!(Shards::parse(Some(bad)).is_err(), "{bad:?}");
        }
    }
}
