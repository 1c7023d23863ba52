//! A device list in and out: a CSV import adds every row or, with one bad row, none (the report
//! names the line and the field); a JSON list imports the same way; the export gives the devices
//! back without communities or passwords; traffic and counters as CSV hold what the JSON holds.

use std::time::Duration;

use serde_json::{json, Value};

use crate::snmpd::{Interface, Snmpd};
use crate::vigie::Vigie;

const GOOD: &str = "name,host,port,version,community,user,securityLevel,authProtocol,authPassword,privProtocol,privPassword,pollIntervalSecs,pingIntervalSecs,tags\r\n\
core-1,192.0.2.1,,v2c,s3cret-one,,,,,,,60,0,core paris\r\n\
\"edge, west\",192.0.2.2,1161,v1,\"quote\"\"d\",,,,,,,300,0,\r\n\
v3-box,192.0.2.3,,v3,,mon,authPriv,sha256,authpass-123,aes,privpass-456,,0,edge\r\n";

fn device_count(vigie: &Vigie) -> usize {
    vigie.get("/api/v1/devices").body.as_array().expect("list").len()
}

fn import_csv(vigie: &Vigie, csv: &str) -> crate::vigie::Answer {
    vigie.raw("POST", "/api/v1/devices/import", "text/csv", csv.to_string())
}

#[test]
fn a_csv_import_adds_all_rows_or_none_and_the_export_keeps_no_secret() {
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start(&data.path().join("data"));

    // One bad row among good ones: nothing is added, and the report names each bad line and field.
    let bad = GOOD.replace("192.0.2.2,1161,v1", "192.0.2.2,99999,v1").replace("authpass-123", "short");
    let answer = import_csv(&vigie, &bad);
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.body["added"], 0);
    let errors = answer.body["errors"].as_array().expect("errors");
    let named: Vec<(u64, &str)> =
        errors.iter().map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap())).collect();
    assert_eq!(named, [(3, "port"), (4, "authPassword")], "{}", answer.text);
    assert_eq!(device_count(&vigie), 0, "a refused import adds nothing");

    // A header with an unknown column is refused at line 1.
    let answer = import_csv(&vigie, "host,colour\n192.0.2.9,blue\n");
    assert_eq!(
        (answer.status, answer.body["errors"][0]["line"].as_u64(), answer.body["errors"][0]["field"].as_str()),
        (422, Some(1), Some("colour"))
    );

    // Three good rows: all added.
    let answer = import_csv(&vigie, GOOD);
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.body["added"], 3);
    assert_eq!(device_count(&vigie), 3);

    // The same rows again collide with the devices now there: refused by line, nothing added.
    let answer = import_csv(&vigie, GOOD);
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.body["errors"][0]["field"], "host");
    assert_eq!(device_count(&vigie), 3);

    // The export, in both formats, holds every device and no secret.
    let exported = vigie.get("/api/v1/devices/export").body;
    let names: Vec<&str> = exported.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 3);
    for name in ["core-1", "edge, west", "v3-box"] {
        assert!(names.contains(&name), "{name} exported: {exported}");
    }
    let v3 = exported.as_array().unwrap().iter().find(|d| d["name"] == "v3-box").unwrap();
    assert_eq!(
        v3["snmp"],
        json!({"version": "v3", "user": "mon", "securityLevel": "authPriv", "authProtocol": "sha256", "privProtocol": "aes"})
    );
    let core = exported.as_array().unwrap().iter().find(|d| d["name"] == "core-1").unwrap();
    assert_eq!(core["tags"], json!(["core", "paris"]));
    assert_eq!(core["port"], 161);
    let csv = vigie.request("GET", "/api/v1/devices/export?format=csv", &[]);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.text().unwrap();
    let by_accept = vigie.request("GET", "/api/v1/devices/export", &[("accept", "text/csv")]).text().unwrap();
    assert_eq!(csv, by_accept, "Accept: text/csv and format=csv answer the same");
    for text in [exported.to_string(), csv.clone()] {
        for secret in ["s3cret-one", "quote", "authpass-123", "privpass-456"] {
            assert!(!text.contains(secret), "the export holds the secret {secret}: {text}");
        }
    }
    assert!(csv.contains("\"edge, west\",192.0.2.2,1161,v1,"), "quoted as written: {csv}");

    // Round trip: the exported CSV, with its communities and passwords filled in again, imports
    // into an empty Vigie as the same devices.
    let other_data = tempfile::tempdir().unwrap();
    let other = Vigie::start(&other_data.path().join("data"));
    let refilled = csv
        .replace(",v2c,,", ",v2c,s3cret-one,")
        .replace(",v1,,", ",v1,x,")
        .replace("sha256,,aes,", "sha256,authpass-123,aes,privpass-456");
    let answer = import_csv(&other, &refilled);
    assert_eq!(answer.status, 201, "{}\n{refilled}", answer.text);
    let mut again = other.get("/api/v1/devices/export").body.as_array().unwrap().clone();
    let mut first = exported.as_array().unwrap().clone();
    let key = |d: &Value| d["name"].as_str().unwrap().to_string();
    again.sort_by_key(key);
    first.sort_by_key(key);
    assert_eq!(again, first, "the export imports back as the same devices");
}

#[test]
fn a_json_list_imports_like_csv() {
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start(&data.path().join("data"));
    let list = json!([
        {"name": "a", "host": "192.0.2.10", "snmp": {"version": "v2c", "community": "c1"}},
        {"name": "b", "host": "192.0.2.11", "snmp": {"version": "v2c"}},
    ]);
    let answer = vigie.post_json("/api/v1/devices/import", &list);
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(
        answer.body["errors"],
        json!([{"line": 2, "field": "snmp.community", "reason": answer.body["errors"][0]["reason"]}])
    );
    assert_eq!(device_count(&vigie), 0);
    let answer = vigie.post_json("/api/v1/devices/import", &json!([list[0]]));
    assert_eq!((answer.status, answer.body["added"].as_u64()), (201, Some(1)), "{}", answer.text);
    let answer = vigie.raw("POST", "/api/v1/devices/import", "text/plain", "host\n1.2.3.4\n".into());
    assert_eq!(answer.status, 415);
}

fn csv_column(text: &str, column: &str) -> Vec<String> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let at = header.iter().position(|h| *h == column).unwrap_or_else(|| panic!("no column {column} in {header:?}"));
    lines.map(|l| l.split(',').nth(at).unwrap_or("").to_string()).collect()
}

fn as_cell(value: &Value) -> String {
    if value.is_null() {
        String::new()
    } else {
        value.to_string()
    }
}

/// Cells as numbers (CSV writes 1000189 where JSON writes 1000189.0); None for an empty cell.
fn numbers(cells: Vec<String>) -> Vec<Option<f64>> {
    cells.iter().map(|c| (!c.is_empty()).then(|| c.parse::<f64>().expect("a number"))).collect()
}

#[test]
fn traffic_and_counters_as_csv_hold_what_json_holds() {
    let mut uplink = Interface::new(1, "uplink0");
    uplink.in_octets_per_sec = 125_000;
    uplink.out_octets_per_sec = 50_000;
    let agent = Snmpd::start(&[uplink]);
    let data = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(&data.path().join("data"));
    let id = vigie.add_device("csv-1", agent.port());
    let start = now_secs();
    vigie.wait_until(Duration::from_secs(20), "a few traffic points", |v| {
        let t = v.get(&format!("/api/v1/devices/{id}/interfaces/1/traffic?from={start}&maxPoints=1000")).body;
        (t["points"].as_array()?.iter().filter(|p| !p["inBps"].is_null()).count() >= 3).then_some(())
    });
    // A window that has passed: both answers read the same samples.
    let to = now_secs() - 1;
    let path = format!("/api/v1/devices/{id}/interfaces/1/traffic?from={start}&to={to}&maxPoints=1000");
    let json = vigie.get(&path).body;
    let csv = vigie.request("GET", &format!("{path}&format=csv"), &[]).text().unwrap();
    let points = json["points"].as_array().unwrap();
    assert!(!points.is_empty());
    let stamps: Vec<String> = points.iter().map(|p| p["timestamp"].to_string()).collect();
    assert_eq!(csv_column(&csv, "timestamp"), stamps);
    assert!(stamps.len() >= 3);
    for (column, key) in [("inBps", "inBps"), ("outBps", "outBps"), ("inBpsMax", "inBpsMax")] {
        let from_json: Vec<Option<f64>> = points.iter().map(|p| p[key].as_f64()).collect();
        assert_eq!(numbers(csv_column(&csv, column)), from_json, "{column}");
    }
    assert!(csv_column(&csv, "time")[0].ends_with('Z'), "RFC 3339 in UTC: {csv}");

    let path = format!("/api/v1/devices/{id}/interfaces/1/counters?from={start}&to={to}");
    let json = vigie.get(&path).body;
    let csv = vigie.request("GET", &path, &[("accept", "text/csv")]).text().unwrap();
    let readings = json.as_array().unwrap();
    assert!(!readings.is_empty());
    let from_json: Vec<String> = readings.iter().map(|r| as_cell(&r["ifHCInOctets"])).collect();
    assert_eq!(csv_column(&csv, "ifHCInOctets"), from_json);
    let from_json: Vec<Option<f64>> = readings.iter().map(|r| r["timestamp"].as_f64()).collect();
    assert_eq!(numbers(csv_column(&csv, "timestamp")), from_json);
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}
