//! D1 access: binding arguments without precision traps, and small query helpers.
//!
//! `D1Type::Integer` is an `i32` and wasm-bindgen turns `i64` into a BigInt (which D1
//! refuses), so integers are bound as JS numbers (exact up to 2^53: fine for our
//! millisecond timestamps and counts). A D1 batch runs as one transaction; there are no
//! interactive transactions, so every check-and-write is one statement or one batch.

use std::rc::Rc;

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

use crate::error::ApiError;
use crate::limits::{self, Meter};

/// A shop's D1 database with the invocation's [`Meter`]: every statement run through it
/// is charged as a subrequest and its rows read and written are added up.
#[derive(Clone)]
pub struct Db {
    d1: Rc<D1Database>,
    meter: Rc<Meter>,
}

impl Db {
    pub fn new(d1: D1Database, meter: Rc<Meter>) -> Db {
        Db { d1: Rc::new(d1), meter }
    }
}

/// A statement with its parameters bound, ready to run or batch.
pub struct Stmt {
    inner: D1PreparedStatement,
    meter: Rc<Meter>,
}

/// Adds a result's rows read and written, from D1's own `meta`, to the meter.
fn record(meter: &Meter, result: &D1Result) {
    if let Ok(Some(meta)) = result.meta() {
        meter.rows(meta.rows_read.unwrap_or(0), meta.rows_written.unwrap_or(0));
    }
}

/// D1 allows at most 100 bound parameters in one statement
/// (developers.cloudflare.com/d1/platform/limits: "Maximum bound parameters per query").
pub const MAX_PARAMS: usize = 100;

/// D1's longest SQL statement, in bytes ("Maximum SQL statement length": 100,000).
pub const MAX_SQL_BYTES: usize = 100_000;

/// Checks a statement against D1's production limits. In every build: a statement
/// production would refuse must fail here too, in the local run and its tests, never
/// first in production (a `debug_assert` is gone from release builds).
pub fn check_limits(sql: &str, params: usize) -> Result<(), ApiError> {
    if params > MAX_PARAMS {
        return Err(ApiError::Limit {
            code: "d1_parameter_limit",
            cause: format!("{params} bound parameters (at most {MAX_PARAMS}) in: {sql}"),
        });
    }
    if sql.len() > MAX_SQL_BYTES {
        return Err(ApiError::Limit {
            code: "d1_statement_limit",
            cause: format!("a {}-byte statement (at most {MAX_SQL_BYTES})", sql.len()),
        });
    }
    Ok(())
}

/// A value that can be bound to a D1 statement.
pub trait Arg {
    fn js(&self) -> JsValue;
}

impl Arg for &str {
    fn js(&self) -> JsValue {
        JsValue::from_str(self)
    }
}

impl Arg for String {
    fn js(&self) -> JsValue {
        JsValue::from_str(self)
    }
}

impl Arg for &String {
    fn js(&self) -> JsValue {
        JsValue::from_str(self)
    }
}

impl Arg for i64 {
    fn js(&self) -> JsValue {
        JsValue::from_f64(*self as f64)
    }
}

impl Arg for u32 {
    fn js(&self) -> JsValue {
        JsValue::from_f64(f64::from(*self))
    }
}

impl Arg for bool {
    fn js(&self) -> JsValue {
        JsValue::from_f64(if *self { 1.0 } else { 0.0 })
    }
}

impl<T: Arg> Arg for Option<T> {
    fn js(&self) -> JsValue {
        self.as_ref().map_or(JsValue::NULL, Arg::js)
    }
}

/// A bindable value built without touching JS (so validation code stays testable natively).
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Text(String),
}

impl Arg for Val {
    fn js(&self) -> JsValue {
        match self {
            Val::Null => JsValue::NULL,
            Val::Int(n) => n.js(),
            Val::Text(s) => JsValue::from_str(s),
        }
    }
}

impl From<i64> for Val {
    fn from(n: i64) -> Val {
        Val::Int(n)
    }
}

impl From<u32> for Val {
    fn from(n: u32) -> Val {
        Val::Int(i64::from(n))
    }
}

impl From<bool> for Val {
    fn from(b: bool) -> Val {
        Val::Int(i64::from(b))
    }
}

impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Text(s)
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Text(s.to_owned())
    }
}

impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Val {
        v.map_or(Val::Null, Into::into)
    }
}

/// `args![a, b, c]` — a parameter list for [`stmt`].
#[macro_export]
macro_rules! args {
    ($($a:expr),* $(,)?) => { vec![$($crate::db::Arg::js(&$a)),*] };
}

/// A prepared statement with its parameters bound, checked against D1's limits on
/// parameters, statement length and value size.
pub fn stmt(db: &Db, sql: &str, params: Vec<JsValue>) -> Result<Stmt, ApiError> {
    check_limits(sql, params.len())?;
    for p in &params {
        if let Some(text) = p.as_string() {
            limits::check_value(text.len())?;
        }
    }
    Ok(Stmt { inner: db.d1.prepare(sql).bind(&params)?, meter: db.meter.clone() })
}

/// Whether a D1 error says the statement never ran because the database was busy
/// (SQLite's `SQLITE_BUSY`: a lock it could not take). Only then is it safe to run it
/// again: nothing of it was applied. Local D1 answers this under load; it is not a
/// fault of the request.
fn busy(e: &worker::Error) -> bool {
    let text = e.to_string();
    text.contains("SQLITE_BUSY") || text.contains("database is locked")
}

/// Retries after a busy database: twice more, after 20 and then 80 ms.
const BUSY_RETRIES: [u64; 2] = [20, 80];

async fn exec(s: Stmt) -> Result<D1Result, ApiError> {
    s.meter.charge("D1 query", 1)?;
    let mut waits = BUSY_RETRIES.iter();
    let result = loop {
        match s.inner.all().await {
            Err(e) if busy(&e) => match waits.next() {
                Some(&ms) => {
                    worker::Delay::from(std::time::Duration::from_millis(ms)).await;
                    s.meter.charge("D1 query", 1)?;
                }
                None => return Err(e.into()),
            },
            other => break other?,
        }
    };
    record(&s.meter, &result);
    Ok(result)
}

pub async fn all<T: DeserializeOwned>(s: Stmt) -> Result<Vec<T>, ApiError> {
    Ok(exec(s).await?.results()?)
}

/// The first row (statements that may match many rows say `LIMIT 1`).
pub async fn first<T: DeserializeOwned>(s: Stmt) -> Result<Option<T>, ApiError> {
    Ok(exec(s).await?.results::<T>()?.into_iter().next())
}

/// Runs a write and returns how many rows it changed.
pub async fn run(s: Stmt) -> Result<usize, ApiError> {
    Ok(changes(&exec(s).await?))
}

/// Runs `statements` as one D1 batch (one transaction), each charged as a query.
pub async fn batch(db: &Db, statements: Vec<Stmt>) -> Result<Vec<D1Result>, ApiError> {
    limits::check_batch(statements.len())?;
    db.meter.charge("D1 batch", u32::try_from(statements.len()).unwrap_or(u32::MAX))?;
    let inner: Vec<D1PreparedStatement> = statements.into_iter().map(|s| s.inner).collect();
    // A batch is one transaction: busy means none of it was applied.
    let mut waits = BUSY_RETRIES.iter();
    let results = loop {
        match db.d1.batch(inner.clone()).await {
            Err(e) if busy(&e) => match waits.next() {
                Some(&ms) => {
                    worker::Delay::from(std::time::Duration::from_millis(ms)).await;
                    db.meter.charge("D1 batch", u32::try_from(inner.len()).unwrap_or(u32::MAX))?;
                }
                None => return Err(e.into()),
            },
            other => break other?,
        }
    };
    for r in &results {
        record(&db.meter, r);
    }
    Ok(results)
}

/// Runs `statements` in consecutive D1 batches of at most
/// [`limits::MAX_BATCH_STATEMENTS`] (each its own transaction; the whole is not one) and
/// returns their results in order. For reads, and for writes that are independent and
/// safe to repeat (upserts, `ON CONFLICT DO NOTHING`): a list whose length depends on
/// the input (a page of a platform's catalog) never becomes one batch over the limit.
pub async fn batches(db: &Db, statements: Vec<Stmt>) -> Result<Vec<D1Result>, ApiError> {
    let mut out = Vec::with_capacity(statements.len());
    let mut rest = statements.into_iter();
    for size in batch_sizes(rest.len()) {
        out.extend(batch(db, rest.by_ref().take(size).collect()).await?);
    }
    Ok(out)
}

/// The sizes of the batches `n` statements are run in by [`batches`].
pub fn batch_sizes(n: usize) -> Vec<usize> {
    let max = limits::MAX_BATCH_STATEMENTS;
    (0..n.div_ceil(max)).map(|i| (n - i * max).min(max)).collect()
}

/// Rows changed by one statement of a batch.
pub fn changes(result: &D1Result) -> usize {
    result.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0)
}

/// The rows of one statement of a batch.
pub fn rows<T: DeserializeOwned>(result: &D1Result) -> Result<Vec<T>, ApiError> {
    Ok(result.results()?)
}

/// `?,?,?` with `n` placeholders starting at `?{start}` (numbered, so a statement can
/// mix fixed and list parameters).
pub fn placeholders(start: usize, n: usize) -> String {
    (start..start + n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_busy_database_is_retried() {
        let e = |t: &str| worker::Error::RustError(t.to_owned());
        assert!(busy(&e("D1_ERROR: database is locked: SQLITE_BUSY")));
        assert!(busy(&e("SQLITE_BUSY")));
        // Anything that may have applied the statement is not retried.
        assert!(!busy(&e("D1_ERROR: Network connection lost.")));
        assert!(!busy(&e("D1_ERROR: UNIQUE constraint failed: waitlist.id")));
    }

    #[test]
    fn statements_past_d1s_limits_are_refused_in_every_build() {
        assert!(check_limits("SELECT 1", MAX_PARAMS).is_ok());
        assert!(check_limits("SELECT 1", MAX_PARAMS + 1).is_err(), "101 parameters");
        assert!(check_limits(&"x".repeat(MAX_SQL_BYTES), 0).is_ok());
        assert!(check_limits(&"x".repeat(MAX_SQL_BYTES + 1), 0).is_err(), "a statement over 100,000 bytes");
    }

    #[test]
    fn long_lists_of_statements_run_in_batches_of_at_most_a_hundred() {
        assert_eq!(batch_sizes(250), [100, 100, 50]);
        assert_eq!(batch_sizes(100), [100]);
        assert_eq!(batch_sizes(101), [100, 1]);
        assert!(batch_sizes(0).is_empty());
    }

    #[test]
    fn numbered_placeholders() {
        assert_eq!(placeholders(3, 3), "?3,?4,?5");
        assert_eq!(placeholders(1, 0), "");
    }
}
