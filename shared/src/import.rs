//! The generic import's CSV: for any platform without a connector, a catalog with its
//! stock as RFC 4180 CSV (a header row naming the columns, then one product per row).
//!
//! This module only reads the text: quoting, the header (known columns, each once),
//! and each cell's type. An empty cell means "not given" (the product keeps what it
//! has). What a row *does* is decided by the same product and stock rules as the API's
//! `PUT /v1/admin/products/{sku}` (the Worker turns each row into that request and
//! plans it with `plan`), so a preview and the import it previews are one plan.

/// The columns an import may have, with their types.
pub const COLUMNS: &[(&str, Cell)] = &[
    ("sku", Cell::Text),
    ("name", Cell::Text),
    ("policy", Cell::Text),
    ("cap", Cell::Int),
    ("release_date", Cell::Text),
    ("price_cents", Cell::Int),
    ("on_hand", Cell::Int),
    ("low_stock_threshold", Cell::Int),
    ("lead_time_days", Cell::Int),
    ("supplier", Cell::Text),
    ("url", Cell::Text),
    ("discontinued", Cell::Bool),
    ("waitlist", Cell::Bool),
    ("platform", Cell::Text),
    ("variant_id", Cell::Text),
    ("product_id", Cell::Text),
];

/// Rows one request may import (each is up to one stock plan: the rest is the next
/// request's).
pub const MAX_ROWS: usize = 50;

/// A column's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    Text,
    /// A whole number (`-` allowed; the product rules bound it).
    Int,
    /// `true`/`false` (also `1`/`0`, `yes`/`no`).
    Bool,
}

/// One typed cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// A row: its given cells, by column name, in header order.
pub type Row = Vec<(&'static str, Value)>;

/// Where the CSV is wrong: the 0-based row (`None`: the header or the text as a
/// whole) and the column, with what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvError {
    pub row: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

fn err(row: Option<usize>, column: Option<&str>, message: impl Into<String>) -> CsvError {
    CsvError { row, column: column.map(str::to_owned), message: message.into() }
}

/// Splits RFC 4180 text into records of fields (quoted fields may hold commas,
/// quotes doubled, and line breaks). Lines end with CRLF or LF; a final line break is
/// optional; blank lines are skipped.
fn records(text: &str) -> Result<Vec<Vec<String>>, CsvError> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    let end_record = |record: &mut Vec<String>, out: &mut Vec<Vec<String>>| {
        let blank = record.len() == 1 && record[0].is_empty();
        if !blank {
            out.push(std::mem::take(record));
        } else {
            record.clear();
        }
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            '"' => {
                return Err(err(
                    Some(out.len()),
                    None,
                    "a quote inside an unquoted field (quote the field, double the quote)",
                ));
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                was_quoted = false;
                end_record(&mut record, &mut out);
            }
            c if was_quoted => {
                return Err(err(Some(out.len()), None, format!("{c:?} after a closing quote")));
            }
            c => field.push(c),
        }
    }
    if quoted {
        return Err(err(Some(out.len()), None, "a quoted field is not closed"));
    }
    if !field.is_empty() || !record.is_empty() || was_quoted {
        record.push(field);
        end_record(&mut record, &mut out);
    }
    Ok(out)
}

/// Parses a cell of type `cell` (the text as given, trimmed of spaces around it).
fn typed(cell: Cell, text: &str) -> Option<Value> {
    match cell {
        Cell::Text => Some(Value::Text(text.to_owned())),
        Cell::Int => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let ok = !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit());
            if ok { text.parse().ok().map(Value::Int) } else { None }
        }
        Cell::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(Value::Bool(true)),
            "false" | "0" | "no" => Some(Value::Bool(false)),
            _ => None,
        },
    }
}

/// Reads an import CSV into typed rows (at most [`MAX_ROWS`]): the header names known
/// columns, each once, and must have `sku`; every row has as many fields as the
/// header; each given cell parses as its column's type. Row indexes in errors count
/// data rows from 0 (the first row after the header).
pub fn parse_csv(text: &str) -> Result<Vec<Row>, CsvError> {
    // `records` counts the header as record 0; errors here count data rows.
    let mut recs = records(text).map_err(|e| CsvError { row: e.row.and_then(|r| r.checked_sub(1)), ..e })?.into_iter();
    let header = recs.next().ok_or_else(|| err(None, None, "the CSV is empty: it needs a header row"))?;
    let mut columns: Vec<(&'static str, Cell)> = Vec::with_capacity(header.len());
    for name in &header {
        let name = name.trim();
        let Some(&(known, cell)) = COLUMNS.iter().find(|(c, _)| *c == name) else {
            let all: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
            return Err(err(None, Some(name), format!("unknown column; the columns are {}", all.join(", "))));
        };
        if columns.iter().any(|(c, _)| *c == known) {
            return Err(err(None, Some(name), "this column appears twice"));
        }
        columns.push((known, cell));
    }
    if !columns.iter().any(|(c, _)| *c == "sku") {
        return Err(err(None, Some("sku"), "the header must have a sku column"));
    }
    let mut rows = Vec::new();
    for (i, rec) in recs.enumerate() {
        if i >= MAX_ROWS {
            return Err(err(
                Some(i),
                None,
                format!("at most {MAX_ROWS} rows per request: send the rest in the next one"),
            ));
        }
        if rec.len() != columns.len() {
            return Err(err(Some(i), None, format!("{} fields where the header has {}", rec.len(), columns.len())));
        }
        let mut row = Row::new();
        for ((name, cell), text) in columns.iter().zip(rec) {
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let value = typed(*cell, text).ok_or_else(|| {
                let what = match cell {
                    Cell::Int => "a whole number",
                    Cell::Bool => "true or false",
                    Cell::Text => "text",
                };
                err(Some(i), Some(name), format!("must be {what}"))
            })?;
            row.push((name, value));
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell<'a>(row: &'a Row, name: &str) -> Option<&'a Value> {
        row.iter().find(|(c, _)| *c == name).map(|(_, v)| v)
    }

    #[test]
    fn quoted_fields_and_line_endings() {
        let rows =
            parse_csv("sku,name,on_hand\r\nTEE-1,\"Tee, organic\",5\r\nMUG,\"A \"\"big\"\" mug\nwith a lid\",\r\n\n")
                .expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!(cell(&rows[0], "name"), Some(&Value::Text("Tee, organic".into())));
        assert_eq!(cell(&rows[0], "on_hand"), Some(&Value::Int(5)));
        assert_eq!(cell(&rows[1], "name"), Some(&Value::Text("A \"big\" mug\nwith a lid".into())));
        assert_eq!(cell(&rows[1], "on_hand"), None, "an empty cell is not given");
        let rows = parse_csv("sku,waitlist,discontinued\nA,yes,0").expect("no final line break");
        assert_eq!(
            (cell(&rows[0], "waitlist"), cell(&rows[0], "discontinued")),
            (Some(&Value::Bool(true)), Some(&Value::Bool(false)))
        );
    }

    fn check_err(text: &str, expected: (Option<usize>, Option<&str>)) {
        let e = parse_csv(text).expect_err(text);
        assert_eq!((e.row, e.column.as_deref()), expected, "{text:?}: {}", e.message);
    }

    #[test]
    fn bad_csv_names_the_row_and_column() {
        check_err("", (None, None));
        check_err("sku,colour\nA,red", (None, Some("colour")));
        check_err("sku,sku\nA,B", (None, Some("sku")));
        check_err("name\nTee", (None, Some("sku")));
        check_err("sku,on_hand\nA,5\nB,five", (Some(1), Some("on_hand")));
        check_err("sku,on_hand\nA,1.5", (Some(0), Some("on_hand")));
        check_err("sku,waitlist\nA,maybe", (Some(0), Some("waitlist")));
        check_err("sku,name\nA", (Some(0), None));
        check_err("sku,name\nA,\"open", (Some(0), None));
        check_err("sku,name\nA,x\"y", (Some(0), None));
        check_err("sku,name\nA,\"x\"y", (Some(0), None));
        let many = format!("sku\n{}", (0..51).map(|i| format!("S{i}")).collect::<Vec<_>>().join("\n"));
        check_err(&many, (Some(50), None));
    }
}
