//! CSV in and out of the API (RFC 4180): choosing CSV over JSON for a request (`Accept: text/csv`
//! or `format=csv`), writing a table (header row, fields quoted when they must be, CRLF line ends)
//! as a response, reading a table with the line each record starts on, and RFC 3339 timestamps.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::store::segments::civil_date;

pub const CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// The `format` query parameter of the endpoints that answer JSON or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Csv,
}

/// Whether to answer CSV: `format` decides when given, else an `Accept` naming `text/csv`
/// (and not JSON before it).
pub fn wants_csv(req: &HttpRequest, format: Option<Format>) -> bool {
    if let Some(format) = format {
        return format == Format::Csv;
    }
    let Some(accept) = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    for part in accept.split(',') {
        let media = part.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match media.as_str() {
            "text/csv" => return true,
            "application/json" | "application/*" | "*/*" => return false,
            _ => {}
        }
    }
    false
}

/// A table to answer as CSV: the header row, then one row per record.
pub struct Table {
    text: String,
    width: usize,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        let mut table = Table { text: String::new(), width: header.len() };
        table.push(header.iter().copied());
        table
    }

    /// Appends one record; it must have as many fields as the header.
    pub fn row<S: AsRef<str>>(&mut self, fields: impl IntoIterator<Item = S>) {
        let before = self.text.len();
        let count = self.push(fields);
        debug_assert_eq!(count, self.width, "a CSV row of {count} fields under a header of {}", self.width);
        if count != self.width {
            self.text.truncate(before);
        }
    }

    fn push<S: AsRef<str>>(&mut self, fields: impl IntoIterator<Item = S>) -> usize {
        let mut count = 0;
        for field in fields {
            if count > 0 {
                self.text.push(',');
            }
            write_field(&mut self.text, field.as_ref());
            count += 1;
        }
        self.text.push_str("\r\n");
        count
    }

    pub fn into_text(self) -> String {
        self.text
    }

    /// `200 OK` with the table as `text/csv`.
    pub fn respond(self) -> HttpResponse {
        HttpResponse::Ok().content_type(CONTENT_TYPE).body(self.text)
    }
}

/// One field, in double quotes when it holds a comma, a quote, CR or LF (quotes doubled inside).
pub fn write_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// An optional number as a field: empty for none.
pub fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// RFC 3339 in UTC of Unix seconds: `2026-11-30T18:04:05Z`, with milliseconds when `ts` has any.
pub fn rfc3339(ts: f64) -> String {
    let millis_total = (ts * 1000.0).round() as i64;
    let secs = millis_total.div_euclid(1000);
    let millis = millis_total.rem_euclid(1000);
    let of_day = secs.rem_euclid(86_400);
    let (h, m, s) = (of_day / 3600, of_day % 3600 / 60, of_day % 60);
    let date = civil_date(secs);
    if millis == 0 {
        format!("{date}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{date}T{h:02}:{m:02}:{s:02}.{millis:03}Z")
    }
}

/// A CSV text that is not well formed, by the line where the problem is.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {reason}")]
pub struct ParseError {
    pub line: usize,
    pub reason: String,
}

/// One record read from CSV text, with the line (1-based) it starts on.
#[derive(Debug, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Reads CSV text: records separated by CRLF or LF, quoted fields may hold commas, quotes (doubled)
/// and line breaks. Blank lines are skipped. A byte-order mark at the start is ignored.
pub fn parse(text: &str) -> Result<Vec<Record>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut after_quote = false;
        loop {
            let Some(c) = chars.next() else {
                if quoted {
                    return Err(ParseError { line: start, reason: "a quoted field is not closed".into() });
                }
                break;
            };
            if quoted {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => {
                        quoted = false;
                        after_quote = true;
                    }
                    '\n' => {
                        line += 1;
                        field.push(c);
                    }
                    _ => field.push(c),
                }
                continue;
            }
            match c {
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    after_quote = false;
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    line += 1;
                    break;
                }
                '"' if field.is_empty() && !after_quote => quoted = true,
                _ if after_quote => {
                    return Err(ParseError {
                        line,
                        reason: "text after a closing quote (write a quote as \"\")".into(),
                    })
                }
                '"' => return Err(ParseError { line, reason: "a quote inside an unquoted field".into() }),
                _ => field.push(c),
            }
        }
        fields.push(field);
        if fields.len() == 1 && fields[0].trim().is_empty() {
            continue;
        }
        records.push(Record { line: start, fields });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        let mut table = Table::new(&["name", "note"]);
        table.row(["plain", "a,b"]);
        table.row(["say \"hi\"", "two\nlines"]);
        table.row(["", "cr\r"]);
        assert_eq!(
            table.into_text(),
            "name,note\r\nplain,\"a,b\"\r\n\"say \"\"hi\"\"\",\"two\nlines\"\r\n,\"cr\r\"\r\n"
        );
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let rows = [vec!["a,b", "\"q\"", ""], vec!["x\r\ny", "é", " spaced "]];
        let mut table = Table::new(&["one", "two", "three"]);
        for row in &rows {
            table.row(row.iter().copied());
        }
        let records = parse(&table.into_text()).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[1].fields, rows[0]);
        assert_eq!(records[2].fields, rows[1]);
        assert_eq!(records[2].line, 3);
    }

    #[test]
    fn records_know_their_line_across_quoted_breaks_and_blank_lines() {
        let records = parse("h1,h2\n\"a\nb\",c\n\nd,e").unwrap();
        let lines: Vec<usize> = records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 2, 5]);
        assert_eq!(records[1].fields, ["a\nb", "c"]);
    }

    #[test]
    fn malformed_text_names_its_line() {
        assert_eq!(parse("h\n\"open").unwrap_err().line, 2);
        assert!(parse("h\nab\"c").unwrap_err().reason.contains("quote inside"));
        assert!(parse("h\n\"a\"b").unwrap_err().reason.contains("after a closing quote"));
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_525_845.0), "2025-11-30T18:04:05Z");
        assert_eq!(rfc3339(1_764_525_845.25), "2025-11-30T18:04:05.250Z");
    }
}
