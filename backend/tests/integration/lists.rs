//! The list endpoints at the scale of a small fleet of simulated agents (`vigie sim`) plus
//! agents that never answer: pages are exact and stable across offsets, filters and counts agree
//! with the whole list, `If-None-Match` answers 304 until something changes, answers are gzip
//! when asked (and the event stream never is), and the parameterless calls still answer arrays.

use std::io::Read;
use std::time::Duration;

use serde_json::{json, Value};

use crate::sim_process::SimProcess;
use crate::vigie::Vigie;

const MINUTE: Duration = Duration::from_secs(60);
const AGENTS: usize = 9;
const INTERFACES: u32 = 30;
const SILENT: usize = 3;

/// A UDP port nothing listens on: a device there never answers.
fn silent_port() -> u16 {
    crate::ports::free_udp_port()
}

/// Vigie with `AGENTS` simulated agents (the first two tagged `core`) and `SILENT` silent
/// devices (ping off: `unreachable` after one failed poll), every state settled.
fn fleet(dir: &std::path::Path) -> (Vigie, SimProcess) {
    let sim = SimProcess::start(AGENTS, INTERFACES);
    let mut vigie = Vigie::start(dir);
    for i in 0..AGENTS {
        let tags = if i < 2 { json!(["core", "paris"]) } else { json!(["edge"]) };
        let answer = vigie.post_json(
            "/api/v1/devices",
            &json!({"name": format!("Sim-{i:02}"), "host": "127.0.0.1", "port": sim.ports[i], "tags": tags,
                    "snmp": {"version": "v2c", "community": "public"}, "pollIntervalSecs": 2, "pingIntervalSecs": 0}),
        );
        assert_eq!(answer.status, 201, "{}", answer.text);
    }
    for i in 0..SILENT {
        let answer = vigie.post_json(
            "/api/v1/devices",
            &json!({"name": format!("dead-{i}"), "host": "127.0.0.1", "port": silent_port(), "pingIntervalSecs": 0,
                    "snmp": {"version": "v2c", "community": "public"}, "pollIntervalSecs": 3600,
                    "timeoutMs": 100, "retries": 0}),
        );
        assert_eq!(answer.status, 201, "{}", answer.text);
    }
    vigie.wait_until(MINUTE, "every device polled with its interfaces, rates known", |v| {
        let s = v.get("/api/v1/fleet/summary").body;
        let settled = s["counts"]["up"] == AGENTS && s["counts"]["unreachable"] == SILENT;
        let rates = s["topInterfaces"].as_array().is_some_and(|top| top.len() == 10);
        (settled && rates && s["interfaces"] == AGENTS * INTERFACES as usize).then_some(())
    });
    (vigie, sim)
}

fn ids(items: &Value) -> Vec<String> {
    items.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn pages_filters_counts_etags_and_compression_agree_with_the_whole_lists() {
    let dir = tempfile::tempdir().unwrap();
    let (vigie, _sim) = fleet(dir.path());

    // The parameterless list: the array scripts know, with its size in a header.
    let response = vigie.request("GET", "/api/v1/devices", &[]);
    assert_eq!(response.headers()["x-total-count"], (AGENTS + SILENT).to_string().as_str());
    let all: Value = response.json().unwrap();
    let all = all.as_array().unwrap().clone();
    assert_eq!(all.len(), AGENTS + SILENT);

    // Pages of 5 by name cover the list exactly once, in order (the config does not move).
    let mut by_name: Vec<&Value> = all.iter().collect();
    by_name.sort_by_key(|d| (d["name"].as_str().unwrap().to_lowercase(), d["id"].as_str().unwrap().to_string()));
    let mut paged = Vec::new();
    for offset in (0..all.len()).step_by(5) {
        let page = vigie.get(&format!("/api/v1/fleet/devices?sort=name&limit=5&offset={offset}")).body;
        assert_eq!(
            (page["total"].as_u64(), page["offset"].as_u64(), page["limit"].as_u64()),
            (Some(all.len() as u64), Some(offset as u64), Some(5))
        );
        paged.extend(ids(&page["items"]));
    }
    assert_eq!(paged, by_name.iter().map(|d| d["id"].as_str().unwrap().to_string()).collect::<Vec<_>>());
    // A page's views (built only for its devices) are the whole list's, field for field (what
    // polls move is compared by its fields' names only).
    let page = vigie.get("/api/v1/fleet/devices?sort=availability&order=desc&limit=4&offset=2").body;
    for item in page["items"].as_array().unwrap() {
        let whole = all.iter().find(|d| d["id"] == item["id"]).unwrap();
        assert_eq!(same_but_moving(item, POLLED), same_but_moving(whole, POLLED));
    }

    // Problems first by default: the silent devices lead.
    let first = vigie.get("/api/v1/fleet/devices?limit=3").body;
    assert!(first["items"].as_array().unwrap().iter().all(|d| d["status"]["state"] == "unreachable"), "{first}");
    assert_eq!(first["counts"], json!({"up": AGENTS, "snmpDown": 0, "unreachable": SILENT, "unknown": 0}));

    // Each filter agrees with filtering the whole list here.
    let matches = |d: &Value, q: &str| {
        let tags = d["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_lowercase()).collect::<Vec<_>>();
        [d["name"].as_str().unwrap().to_lowercase(), d["host"].as_str().unwrap().to_lowercase()]
            .iter()
            .chain(&tags)
            .any(|f| f.contains(&q.to_lowercase()))
    };
    for (query, keep) in [
        ("q=SIM-0", Box::new(|d: &Value| matches(d, "sim-0")) as Box<dyn Fn(&Value) -> bool>),
        ("q=paris", Box::new(|d: &Value| matches(d, "paris"))),
        ("tag=core", Box::new(|d: &Value| d["tags"].as_array().unwrap().contains(&json!("core")))),
        ("state=unreachable", Box::new(|d: &Value| d["status"]["state"] == "unreachable")),
        ("state=up,snmp_down&tag=edge", Box::new(|d: &Value| d["status"]["state"] == "up" && d["tags"][0] == "edge")),
    ] {
        let page = vigie.get(&format!("/api/v1/fleet/devices?sort=name&limit=1000&{query}")).body;
        let expected: Vec<String> =
            by_name.iter().filter(|d| keep(d)).map(|d| d["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(ids(&page["items"]), expected, "{query}");
        assert_eq!(page["total"], expected.len(), "{query}");
    }
    let counted = vigie.get("/api/v1/fleet/devices?state=up&q=dead").body;
    assert_eq!(
        (counted["total"].as_u64(), &counted["counts"]["unreachable"]),
        (Some(0), &json!(SILENT)),
        "the counts leave the state filter out"
    );
    for bad in ["limit=0", "limit=1001", "state=down", "sort=colour", "order=up", "q=".to_string().as_str(), "colour=1"]
    {
        let status = vigie.get(&format!("/api/v1/fleet/devices?{bad}")).status;
        assert_eq!(status, if bad == "q=" { 200 } else { 400 }, "{bad}");
    }

    // The summary's busiest interfaces: ten, busiest first, each one a real interface.
    let summary = vigie.get("/api/v1/fleet/summary").body;
    let top = summary["topInterfaces"].as_array().unwrap();
    let load = |t: &Value| t["inPercent"].as_f64().unwrap().max(t["outPercent"].as_f64().unwrap());
    assert_eq!(top.len(), 10, "{summary}");
    assert!(top.windows(2).all(|w| load(&w[0]) >= load(&w[1])), "{summary}");
    assert!(top
        .iter()
        .all(|t| (0.0..=100.0).contains(&load(t)) && t["deviceName"].as_str().unwrap().starts_with("Sim-")));
    assert_eq!(summary["devices"], AGENTS + SILENT);

    // Names, ordered by name.
    let names = vigie.get("/api/v1/fleet/names").body;
    assert_eq!(ids(&names), by_name.iter().map(|d| d["id"].as_str().unwrap().to_string()).collect::<Vec<_>>());
    assert_eq!(names[0].as_object().unwrap().len(), 2, "id and name only");

    // Interfaces: pages of 7 cover the table; q and oper agree with the whole table.
    let id = by_name.iter().find(|d| d["status"]["state"] == "up").unwrap()["id"].as_str().unwrap().to_string();
    let table = vigie.request("GET", &format!("/api/v1/devices/{id}/interfaces"), &[]);
    assert_eq!(table.headers()["x-total-count"], INTERFACES.to_string().as_str());
    let table: Vec<Value> = table.json().unwrap();
    let indexes =
        |items: &Value| items.as_array().unwrap().iter().map(|i| i["ifIndex"].as_u64().unwrap()).collect::<Vec<_>>();
    let mut paged = Vec::new();
    for offset in (0..INTERFACES).step_by(7) {
        let page = vigie.get(&format!("/api/v1/devices/{id}/interface-page?limit=7&offset={offset}")).body;
        assert_eq!(page["total"], INTERFACES);
        paged.extend(indexes(&page["items"]));
    }
    assert_eq!(paged, table.iter().map(|i| i["ifIndex"].as_u64().unwrap()).collect::<Vec<_>>());
    let moving = ["ifHCInOctets", "ifHCOutOctets", "inBps", "outBps", "utilization", "lastSampleAt"];
    let page = vigie.get(&format!("/api/v1/devices/{id}/interface-page?sort=name&order=desc&limit=5")).body;
    for item in page["items"].as_array().unwrap() {
        let whole = table.iter().find(|i| i["ifIndex"] == item["ifIndex"]).unwrap();
        assert_eq!(same_but_moving(item, &moving), same_but_moving(whole, &moving));
    }
    let down: Vec<u64> =
        table.iter().filter(|i| i["operStatus"] == "down").map(|i| i["ifIndex"].as_u64().unwrap()).collect();
    let page = vigie.get(&format!("/api/v1/devices/{id}/interface-page?oper=down&limit=1000")).body;
    assert_eq!(indexes(&page["items"]), down);
    assert_eq!(page["counts"]["down"], down.len());
    assert_eq!(
        page["counts"]["up"].as_u64().unwrap()
            + page["counts"]["down"].as_u64().unwrap()
            + page["counts"]["other"].as_u64().unwrap(),
        INTERFACES as u64
    );
    let name = table[4]["ifName"].as_str().unwrap().to_uppercase();
    let found = vigie.get(&format!("/api/v1/devices/{id}/interface-page?q={name}")).body;
    assert!(indexes(&found["items"]).contains(&table[4]["ifIndex"].as_u64().unwrap()), "{found}");
    assert!(found["items"].as_array().unwrap().iter().all(|i| i["ifName"]
        .as_str()
        .unwrap()
        .to_uppercase()
        .contains(&name)
        || i["ifDescr"].as_str().unwrap().to_uppercase().contains(&name)
        || i["ifAlias"].as_str().unwrap().to_uppercase().contains(&name)));
    let one = vigie.get(&format!("/api/v1/devices/{id}/interfaces/{}", table[4]["ifIndex"])).body;
    assert_eq!((&one["ifIndex"], &one["ifName"]), (&table[4]["ifIndex"], &table[4]["ifName"]));
    assert_eq!(vigie.get(&format!("/api/v1/devices/{id}/interfaces/9999")).status, 404);

    // Compression: gzip when asked, the same document once inflated; br too; never the stream.
    let plain = vigie.get("/api/v1/fleet/names").text;
    let gz = vigie.request("GET", "/api/v1/fleet/names", &[("accept-encoding", "gzip")]);
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let mut inflated = String::new();
    flate2::read::GzDecoder::new(&gz.bytes().unwrap()[..]).read_to_string(&mut inflated).unwrap();
    assert_eq!(inflated, plain);
    let br = vigie.request("GET", "/api/v1/devices", &[("accept-encoding", "br")]);
    assert_eq!(br.headers()["content-encoding"], "br");
    let stream = vigie.request("GET", "/api/v1/events", &[("accept-encoding", "gzip, br")]);
    assert_eq!(stream.status(), 200);
    assert!(stream.headers().get("content-encoding").is_none_or(|e| e == "identity"), "{:?}", stream.headers());
    drop(stream);
}

/// `view` with the values of the fields `moving` (those a poll changes) replaced by their names'
/// presence: two views of one row at different times compare equal.
/// A device view's fields that each poll may change (the list and a page are fetched at
/// different moments): compared by name only.
const POLLED: &[&str] = &["status", "system", "inBps", "outBps", "interfacesUp"];

fn same_but_moving(view: &Value, moving: &[&str]) -> Value {
    let mut view = view.clone();
    for field in moving {
        if let Some(value) = view.get_mut(*field) {
            *value = json!("(moves)");
        }
    }
    view
}

/// GET `path` with `If-None-Match` from a first GET; answers the second status. Retried when
/// the minute turned between the two (the tag names it).
fn conditional(vigie: &Vigie, path: &str) -> (u16, String) {
    for _ in 0..3 {
        let first = vigie.request("GET", path, &[]);
        assert_eq!(first.status(), 200);
        let tag = first.headers()["etag"].to_str().unwrap().to_string();
        let second = vigie.request("GET", path, &[("if-none-match", &tag)]);
        if second.status() == 304 {
            assert_eq!(second.headers()["etag"].to_str().unwrap(), tag);
            assert!(second.bytes().unwrap().is_empty(), "304 has no body");
            return (304, tag);
        }
        assert_ne!(second.headers()["etag"].to_str().unwrap(), tag, "a 200 always comes with a new tag");
    }
    panic!("{path} never answered 304 to its own tag");
}

#[test]
fn etags_answer_304_until_something_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(dir.path());
    // One device that never answers, polled hourly: once it is unreachable nothing moves.
    let answer = vigie.post_json(
        "/api/v1/devices",
        &json!({"name": "quiet", "host": "127.0.0.1", "port": silent_port(), "pingIntervalSecs": 0,
                "snmp": {"version": "v2c", "community": "public"}, "pollIntervalSecs": 3600, "timeoutMs": 100, "retries": 0}),
    );
    let id = answer.body["id"].as_str().unwrap().to_string();
    vigie.wait_until(MINUTE, "the device is unreachable", |v| {
        (v.device(&id)["status"]["state"] == "unreachable").then_some(())
    });
    let paths = [
        "/api/v1/devices",
        "/api/v1/fleet/devices?limit=10",
        "/api/v1/fleet/summary",
        "/api/v1/fleet/names",
        &format!("/api/v1/devices/{id}"),
        &format!("/api/v1/devices/{id}/interfaces"),
        &format!("/api/v1/devices/{id}/interface-page"),
    ];
    let tags: Vec<String> = paths.iter().map(|p| conditional(&vigie, p).1).collect();
    // A change: every tag moves and the old ones get the new document.
    assert_eq!(vigie.patch_json(&format!("/api/v1/devices/{id}"), &json!({"name": "renamed"})).status, 200);
    for (path, tag) in paths.iter().zip(&tags) {
        let response = vigie.request("GET", path, &[("if-none-match", tag)]);
        assert_eq!(response.status(), 200, "{path} after a change");
        assert_ne!(response.headers()["etag"].to_str().unwrap(), tag);
    }
    assert_eq!(vigie.get("/api/v1/fleet/names").body[0]["name"], "renamed");
}
