//! A device list on the wire, for import and export: the CSV columns, a row turned into the same
//! JSON body `POST /devices` takes, a device turned back into that body without its secrets, and
//! the import's per-row report.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::snmp::SnmpView;
use crate::api::csv;
use crate::device::Device;

/// The CSV columns, in export order. An import may give them in any order and leave any out;
/// an empty cell is a field left out (its default applies).
pub const COLUMNS: [&str; 18] = [
    "name",
    "host",
    "port",
    "version",
    "community",
    "user",
    "securityLevel",
    "authProtocol",
    "authPassword",
    "privProtocol",
    "privPassword",
    "contextName",
    "pollIntervalSecs",
    "timeoutMs",
    "retries",
    "pingIntervalSecs",
    "parentId",
    "tags",
];
/// Columns that go inside the body's `snmp` object: `version` to `contextName` in [`COLUMNS`].
const SNMP_COLUMNS: &[&str] = COLUMNS.split_at(3).1.split_at(9).0;
const NUMBER_COLUMNS: [&str; 5] = ["port", "pollIntervalSecs", "timeoutMs", "retries", "pingIntervalSecs"];

/// A refused row: where it is and which field is wrong.
#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ImportRowError {
    /// CSV: the line of the file the row starts on (the header is line 1). JSON: the position in
    /// the list, from 1.
    #[schema(example = 3)]
    pub line: usize,
    /// The CSV column (or JSON path) at fault; empty when the row as a whole is wrong.
    #[schema(example = "community")]
    pub field: String,
    #[schema(example = "must not be empty")]
    pub reason: String,
}

/// What an import did: every device added, or none and every refused row.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Devices added (0 when any row is refused).
    #[schema(example = 3)]
    pub added: usize,
    /// Ids of the devices added, in the order of the rows.
    #[schema(example = json!(["3f9a2c1b"]))]
    pub ids: Vec<String>,
    /// Every refused row; empty when all were added.
    pub errors: Vec<ImportRowError>,
}

/// The `format` of an export: CSV or JSON (default: by `Accept`, else JSON).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` or `json`; without it, `Accept: text/csv` chooses CSV.
    #[param(inline)]
    pub format: Option<csv::Format>,
}

/// A device as exported: the body `POST /devices` takes, without communities or passwords.
#[derive(Debug, Serialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = Object, example = json!({"name": "core-sw1", "host": "192.0.2.1", "port": 161,
    "snmp": {"version": "v2c"}, "pollIntervalSecs": 60, "timeoutMs": 1000, "retries": 1,
    "pingIntervalSecs": 30, "tags": ["core"]}))]
pub struct ExportedDevice(pub Map<String, Value>);

impl From<&Device> for ExportedDevice {
    fn from(device: &Device) -> Self {
        let c = &device.config;
        let mut snmp = match serde_json::to_value(SnmpView::from(&c.credentials)) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        // The view says whether a secret is set ("…Set"); an import body has no such field.
        snmp.retain(|key, value| !key.ends_with("Set") && !value.is_null() && value != "");
        let mut body = Map::new();
        body.insert("name".into(), c.name.clone().into());
        body.insert("host".into(), c.host.clone().into());
        body.insert("port".into(), c.port.into());
        body.insert("snmp".into(), Value::Object(snmp));
        body.insert("pollIntervalSecs".into(), c.poll_interval_secs.into());
        body.insert("timeoutMs".into(), c.timeout_ms.into());
        body.insert("retries".into(), c.retries.into());
        body.insert("pingIntervalSecs".into(), c.ping_interval_secs.into());
        if let Some(parent) = &c.parent_id {
            body.insert("parentId".into(), parent.0.clone().into());
        }
        body.insert("tags".into(), c.tags.clone().into());
        ExportedDevice(body)
    }
}

impl ExportedDevice {
    /// The device's cells, in [`COLUMNS`] order.
    pub fn cells(&self) -> Vec<String> {
        let snmp = self.0.get("snmp").and_then(Value::as_object);
        COLUMNS
            .iter()
            .map(|column| {
                let value =
                    if SNMP_COLUMNS.contains(column) { snmp.and_then(|s| s.get(*column)) } else { self.0.get(*column) };
                match value {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(text)) => text.clone(),
                    Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
                    Some(other) => other.to_string(),
                }
            })
            .collect()
    }
}

/// The column names of a CSV header, checked: each known, none twice.
pub fn check_header(header: &[String]) -> Result<(), ImportRowError> {
    for (i, name) in header.iter().enumerate() {
        let refuse = |reason: String| ImportRowError { line: 1, field: name.clone(), reason };
        if !COLUMNS.contains(&name.as_str()) {
            return Err(refuse(format!("unknown column; the columns are {}", COLUMNS.join(", "))));
        }
        if header[..i].contains(name) {
            return Err(refuse("this column is given twice".into()));
        }
    }
    if !header.iter().any(|h| h == "host") {
        return Err(ImportRowError { line: 1, field: "host".into(), reason: "the header has no host column".into() });
    }
    Ok(())
}

/// One CSV row as the JSON body of `POST /devices`: numbers as numbers (a cell that is not one
/// stays text, for the body's validation to name), tags split on spaces, SNMP columns in `snmp`.
pub fn row_body(header: &[String], record: &csv::Record) -> Result<Value, ImportRowError> {
    if record.fields.len() != header.len() {
        return Err(ImportRowError {
            line: record.line,
            field: String::new(),
            reason: format!("{} fields where the header has {}", record.fields.len(), header.len()),
        });
    }
    let mut body = Map::new();
    let mut snmp = Map::new();
    for (column, cell) in header.iter().zip(&record.fields) {
        if cell.trim().is_empty() {
            continue;
        }
        let value = if NUMBER_COLUMNS.contains(&column.as_str()) {
            cell.trim().parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(cell.as_str()))
        } else if column == "tags" {
            Value::from(cell.split_whitespace().collect::<Vec<_>>())
        } else {
            Value::from(cell.as_str())
        };
        if SNMP_COLUMNS.contains(&column.as_str()) {
            snmp.insert(column.clone(), value);
        } else {
            body.insert(column.clone(), value);
        }
    }
    if !snmp.is_empty() {
        body.insert("snmp".into(), Value::Object(snmp));
    }
    Ok(Value::Object(body))
}

/// The CSV column of a field path of the body (`snmp.community` → `community`).
pub fn column_of(path: &str) -> String {
    path.rsplit('.').next().unwrap_or(path).split('[').next().unwrap_or(path).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn the_snmp_columns_are_the_credentials_fields() {
        let credentials = ["version", "community", "user", "securityLevel", "authProtocol", "authPassword"];
        let privacy = ["privProtocol", "privPassword", "contextName"];
        assert_eq!(SNMP_COLUMNS, [&credentials[..], &privacy[..]].concat());
    }

    #[test]
    fn a_row_becomes_the_create_body() {
        let h = header(&["name", "host", "port", "version", "community", "tags", "retries"]);
        let record =
            csv::Record { line: 2, fields: header(&["sw1", "192.0.2.1", "1161", "v2c", "s3cret", "core  paris", ""]) };
        let body = row_body(&h, &record).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"name": "sw1", "host": "192.0.2.1", "port": 1161,
                "snmp": {"version": "v2c", "community": "s3cret"}, "tags": ["core", "paris"]})
        );
    }

    #[test]
    fn a_cell_that_is_not_a_number_stays_text_for_validation_to_name() {
        let h = header(&["host", "port"]);
        let body = row_body(&h, &csv::Record { line: 4, fields: header(&["h", "eighty"]) }).unwrap();
        assert_eq!(body["port"], "eighty");
    }

    #[test]
    fn a_short_row_names_its_line() {
        let h = header(&["host", "port"]);
        let error = row_body(&h, &csv::Record { line: 7, fields: header(&["h"]) }).unwrap_err();
        assert_eq!((error.line, error.field.as_str()), (7, ""));
        assert!(error.reason.contains("1 fields where the header has 2"), "{}", error.reason);
    }

    #[test]
    fn headers_are_checked() {
        assert_eq!(check_header(&header(&["host", "colour"])).unwrap_err().field, "colour");
        assert!(check_header(&header(&["host", "host"])).unwrap_err().reason.contains("twice"));
        assert_eq!(check_header(&header(&["name"])).unwrap_err().field, "host");
        assert!(check_header(&header(&COLUMNS)).is_ok());
    }

    #[test]
    fn paths_name_their_column() {
        assert_eq!(column_of("snmp.community"), "community");
        assert_eq!(column_of("tags[2]"), "tags");
        assert_eq!(column_of("host"), "host");
    }
}
