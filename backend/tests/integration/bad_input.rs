//! Bad requests get a clear JSON error naming the field, and change nothing. Secrets never come
//! back, nor reach the log.

use serde_json::{json, Value};

use crate::vigie::Vigie;

const SECRET: &str = "s3cret-Community-42";

#[test]
fn malformed_requests_are_refused_with_the_field_named_and_change_nothing() {
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start(&data.path().join("data"));
    // A device on a port nobody answers: it exists, so duplicates and patches can be tried.
    let created = vigie.post_json(
        "/api/v1/devices",
        &json!({"name": "sw1", "host": "127.0.0.1", "port": 9, "snmp": {"version": "v2c", "community": SECRET}}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.location.as_deref(), Some(format!("/api/v1/devices/{id}").as_str()));
    assert_eq!(created.body["pollIntervalSecs"], 60, "defaults apply");
    // Polled at once: on loopback the closed port's refusal can come back, and the poll be
    // decided, before this reply is made.
    let state = created.body["status"]["state"].as_str().unwrap();
    assert!(matches!(state, "unknown" | "unreachable"), "{state}");
    // What a request could change: the devices without what their polls decide (the poller
    // owns those: the first poll of this closed port may be recorded at any moment).
    let configs = |vigie: &Vigie| {
        let mut list = vigie.get("/api/v1/devices").body;
        list.as_array_mut().unwrap().iter_mut().for_each(|d| {
            let d = d.as_object_mut().unwrap();
            for polled in ["status", "availability", "inBps", "outBps", "interfaceCount", "interfacesUp", "system"] {
                d.remove(polled);
            }
        });
        list
    };
    let before = configs(&vigie);

    let ok_snmp = json!({"version": "v2c", "community": "x"});
    let device_path = format!("/api/v1/devices/{id}");
    let traffic = format!("{device_path}/interfaces/1/traffic");
    let bad_if = format!("{device_path}/interfaces/abc/traffic");
    let bad_from = format!("{traffic}?from=yesterday");
    let reversed = format!("{traffic}?from=100&to=50");
    let no_points = format!("{traffic}?maxPoints=0");
    let min_from = format!("{traffic}?from=-9223372036854775808");
    let negative_from = format!("{traffic}?from=-100");
    let late_to = format!("{traffic}?to=17179869185");
    let counters = format!("{device_path}/interfaces/1/counters");
    let long_counters = format!("{counters}?from=0&to=1764075060");
    let overflowing_counters = format!("{counters}?from=-9223372036854775808&to=1764075060");
    let device_logs_elsewhere = format!("{device_path}/logs?deviceId=00000000");
    let big = format!("{{\"host\": \"{}\"}}", "a".repeat(70 * 1024));
    // (method, path, content type, body, status, code, field)
    #[rustfmt::skip] // one request per line reads as a table
    let cases: Vec<(&str, &str, &str, String, u16, &str, Value)> = vec![
        ("POST", "/api/v1/devices", "application/json", "{\"host\": ".into(), 400, "invalid_json", Value::Null),
        ("POST", "/api/v1/devices", "application/json", "".into(), 400, "invalid_json", Value::Null),
        ("POST", "/api/v1/devices", "text/plain", json!({"host": "h", "snmp": ok_snmp}).to_string(), 415, "unsupported_media_type", Value::Null),
        ("POST", "/api/v1/devices", "application/json", big, 413, "payload_too_large", Value::Null),
        ("POST", "/api/v1/devices", "application/json", json!({"snmp": ok_snmp}).to_string(), 422, "invalid_field", json!("host")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h"}).to_string(), 422, "invalid_field", json!("snmp")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h", "snmp": {"version": "v2c"}}).to_string(), 422, "invalid_field", json!("snmp.community")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h", "snmp": {"version": "v2c", "community": ""}}).to_string(), 422, "invalid_field", json!("snmp.community")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h", "snmp": {"version": "v7", "community": "x"}}).to_string(), 422, "invalid_field", json!("snmp.version")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "bad host", "snmp": ok_snmp}).to_string(), 422, "invalid_field", json!("host")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h", "port": 0, "snmp": ok_snmp}).to_string(), 422, "invalid_field", json!("port")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h", "port": 70000, "snmp": ok_snmp}).to_string(), 422, "invalid_field", json!("port")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h", "port": "161", "snmp": ok_snmp}).to_string(), 422, "invalid_field", json!("port")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h", "pollIntervalSecs": 0, "snmp": ok_snmp}).to_string(), 422, "invalid_field", json!("pollIntervalSecs")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h", "timeoutMs": -5, "snmp": ok_snmp}).to_string(), 422, "invalid_field", json!("timeoutMs")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h", "snmp": ok_snmp, "colour": "red"}).to_string(), 422, "invalid_field", json!("colour")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "127.0.0.1", "port": 9, "snmp": ok_snmp}).to_string(), 409, "duplicate_device", json!("host")),
        ("PATCH", &device_path, "application/json", json!({"pollIntervalSecs": 0}).to_string(), 422, "invalid_field", json!("pollIntervalSecs")),
        ("PATCH", &device_path, "application/json", json!({"host": ""}).to_string(), 422, "invalid_field", json!("host")),
        ("PATCH", &device_path, "application/json", json!({"name": 5}).to_string(), 422, "invalid_field", json!("name")),
        ("PATCH", "/api/v1/devices/00000000", "application/json", json!({"name": "x"}).to_string(), 404, "device_not_found", Value::Null),
        ("GET", "/api/v1/devices/nope", "application/json", String::new(), 404, "device_not_found", Value::Null),
        ("DELETE", "/api/v1/devices/00000000", "application/json", String::new(), 404, "device_not_found", Value::Null),
        ("GET", &traffic, "application/json", String::new(), 404, "interface_not_found", Value::Null),
        ("GET", &bad_if, "application/json", String::new(), 400, "invalid_parameter", json!("ifIndex")),
        ("GET", &bad_from, "application/json", String::new(), 400, "invalid_parameter", json!("from")),
        ("GET", &reversed, "application/json", String::new(), 400, "invalid_parameter", json!("from")),
        ("GET", &no_points, "application/json", String::new(), 400, "invalid_parameter", json!("maxPoints")),
        ("GET", "/api/v1/events?types=sample,bogus", "application/json", String::new(), 400, "invalid_parameter", json!("types")),
        ("GET", "/api/v1/logs?minSeverity=9", "application/json", String::new(), 400, "invalid_parameter", json!("minSeverity")),
        ("GET", "/api/v1/logs?limit=0", "application/json", String::new(), 400, "invalid_parameter", json!("limit")),
        ("GET", "/api/v1/logs?source=radio", "application/json", String::new(), 400, "invalid_parameter", json!("source")),
        ("GET", "/api/v1/nothing-here", "application/json", String::new(), 404, "not_found", Value::Null),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "", "snmp": ok_snmp}).to_string(), 422, "invalid_field", json!("host")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h", "snmp": [ "v2c", "x" ]}).to_string(), 422, "invalid_field", json!("snmp")),
        ("POST", "/api/v1/devices", "application/json", json!(["h"]).to_string(), 422, "invalid_field", json!("body")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h", "port": 161.5, "snmp": ok_snmp}).to_string(), 422, "invalid_field", json!("port")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h", "snmp": {"version": "v2c", "community": "a\u{7}b"}}).to_string(), 422, "invalid_field", json!("snmp.community")),
        ("POST", "/api/v1/devices", "application/json", json!({"host": "h", "snmp": {"version": "v2c", "community": "é".repeat(256)}}).to_string(), 422, "invalid_field", json!("snmp.community")),
        ("PATCH", &device_path, "application/json", json!({"snmp": [null, null]}).to_string(), 422, "invalid_field", json!("snmp")),
        ("GET", &min_from, "", String::new(), 400, "invalid_parameter", json!("from")),
        ("GET", &negative_from, "", String::new(), 400, "invalid_parameter", json!("from")),
        ("GET", &late_to, "", String::new(), 400, "invalid_parameter", json!("to")),
        ("GET", &long_counters, "", String::new(), 400, "invalid_parameter", json!("from")),
        ("GET", &overflowing_counters, "", String::new(), 400, "invalid_parameter", json!("from")),
        ("GET", "/api/v1/logs?from=NaN", "", String::new(), 400, "invalid_parameter", json!("from")),
        ("GET", "/api/v1/logs?to=inf", "", String::new(), 400, "invalid_parameter", json!("to")),
        ("GET", "/api/v1/logs?from=-100", "", String::new(), 400, "invalid_parameter", json!("from")),
        ("GET", "/api/v1/logs?cursor=9223372036854775808", "", String::new(), 400, "invalid_parameter", json!("cursor")),
        ("GET", "/api/v1/logs?deviceId=00000000", "", String::new(), 404, "device_not_found", Value::Null),
        ("GET", &device_logs_elsewhere, "", String::new(), 400, "invalid_parameter", json!("deviceId")),
        ("GET", "/api/v1/events?types=", "", String::new(), 400, "invalid_parameter", json!("types")),
        ("PUT", "/api/v1/devices", "application/json", "{}".into(), 405, "method_not_allowed", Value::Null),
        ("POST", &device_path, "application/json", "{}".into(), 405, "method_not_allowed", Value::Null),
        ("DELETE", "/api/v1/status", "", String::new(), 405, "method_not_allowed", Value::Null),
    ];
    for (method, path, content_type, body, status, code, field) in cases {
        let label = format!("{method} {path} {}", body.chars().take(80).collect::<String>());
        let answer = vigie.raw(method, path, content_type, body);
        assert_eq!(answer.status, status, "{label}: {}", answer.text);
        assert_eq!(answer.body["code"], code, "{label}: {}", answer.text);
        assert_eq!(answer.body["field"], field, "{label}: {}", answer.text);
        let message = answer.body["message"].as_str().unwrap_or_else(|| panic!("{label}: a message: {}", answer.text));
        if let Some(field) = field.as_str() {
            assert!(message.contains(field), "{label}: the message names {field}: {message}");
        }
    }
    assert_eq!(configs(&vigie), before, "no rejected request changed anything");
    let wrong_method = vigie.request("PUT", &device_path, &[]);
    assert_eq!(wrong_method.headers()["allow"], "GET, PATCH, DELETE", "405 names the methods allowed");
    // JSON Schema counts 161.0 as an integer: a client generated from the spec may send it.
    let whole = vigie.patch_json(&device_path, &json!({"port": 9.0}));
    assert_eq!((whole.status, &whole.body["port"]), (200, &json!(9)), "{}", whole.text);
    assert_eq!(vigie.get("/api/v1/openapi.json").body["openapi"], "3.1.0", "the spec is served");
    assert_eq!(vigie.get("/docs/").status, 200, "Swagger UI is served");

    // A valid change of the community is accepted, and still never shown.
    let changed = vigie.patch_json(
        &device_path,
        &json!({"snmp": {"version": "v2c", "community": "another-secret-77"}, "name": "sw1-b"}),
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["name"], "sw1-b");
    let everything = [vigie.get("/api/v1/devices").text, vigie.get(&device_path).text, changed.text, created.text];
    for text in everything {
        assert!(!text.contains(SECRET) && !text.contains("another-secret-77"), "a community leaked: {text}");
    }
    let log = vigie.log();
    assert!(!log.contains(SECRET) && !log.contains("another-secret-77"), "a community reached the log:\n{log}");
}
