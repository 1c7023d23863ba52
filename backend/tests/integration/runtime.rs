//! The server as an orchestrator sees it: `/health` and `/readyz` without credentials, `/docs`
//! redirected; receivers that cannot bind do not stop it (and start once their port frees);
//! SIGTERM ends open event streams at once.

use crate::vigie::Vigie;

#[test]
fn health_and_readiness_answer_json_without_credentials() {
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start_with(data.path(), &["--auth", "on"]);
    let api = vigie.get("/api/v1/health");
    let root = vigie.get("/health");
    assert_eq!((api.status, root.status), (200, 200), "{}", root.text);
    assert_eq!(root.body["status"], "ok");
    assert_eq!(root.body["version"], api.body["version"]);
    let ready = vigie.get("/readyz");
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(ready.body, serde_json::json!({"ready": true, "status": "ready"}));
    let status = vigie.get("/api/v1/status");
    assert_eq!(status.status, 401, "the rest still needs credentials");
    let wrong_method = vigie.raw("POST", "/health", "application/json", "{}".into());
    assert_eq!(wrong_method.status, 405, "{}", wrong_method.text);

    let no_redirects = crate::vigie::client_builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let docs = no_redirects.get(vigie.url("/docs")).send().unwrap();
    assert!(docs.status().is_redirection(), "{}", docs.status());
    assert_eq!(docs.headers()["location"], "/docs/");
    let swagger = vigie.request("GET", "/docs/", &[]);
    assert_eq!(swagger.status(), 200);
    assert!(swagger.text().unwrap().to_lowercase().contains("swagger"));
}

/// Syslog's UDP and TCP ports are taken by sockets this test holds: Vigie serves anyway, says so
/// in `/status`, and once the test lets go, the receivers listen and a syslog line gets in.
#[test]
fn receivers_on_a_taken_port_do_not_stop_the_server_and_start_when_it_frees() {
    let port = crate::ports::free_tcp_and_udp_port();
    let udp = std::net::UdpSocket::bind(("127.0.0.1", port)).expect("the port free for UDP");
    let tcp = std::net::TcpListener::bind(("127.0.0.1", port)).expect("the same port free for TCP");
    let trap = crate::ports::free_udp_port();
    let (syslog_addr, trap_addr) = (format!("127.0.0.1:{port}"), format!("127.0.0.1:{trap}"));
    let data = tempfile::tempdir().unwrap();
    let args = ["--syslog-udp", &syslog_addr, "--syslog-tcp", &syslog_addr, "--trap-udp", &trap_addr];
    let mut vigie = Vigie::start_with(data.path(), &args);

    assert_eq!(vigie.get("/readyz").status, 200, "ready: the receivers were tried");
    let receivers = vigie.get("/api/v1/status").body["receivers"].clone();
    let by_name = |name: &str| receivers.as_array().unwrap().iter().find(|r| r["name"] == name).unwrap().clone();
    for name in ["syslog_udp", "syslog_tcp"] {
        let r = by_name(name);
        assert_eq!((r["state"].as_str(), r["address"].as_str()), (Some("failed"), Some(syslog_addr.as_str())), "{r}");
        assert!(r["error"].as_str().unwrap().contains("in use"), "{r}");
        assert!(r["nextRetryAt"].as_u64().is_some(), "{r}");
    }
    assert_eq!(by_name("trap_udp")["state"], "listening");
    let log = vigie.log();
    assert_eq!(log.matches("The syslog receiver (UDP) cannot listen on").count(), 1, "said once:\n{log}");

    drop((udp, tcp));
    vigie.wait_until(std::time::Duration::from_secs(40), "both syslog receivers listen", |v| {
        let status = v.get("/api/v1/status").body;
        let states: Vec<_> = status["receivers"].as_array()?.iter().map(|r| r["state"].clone()).collect();
        (states.iter().all(|s| s == "listening")).then_some(())
    });
    let r = vigie.get("/api/v1/status").body["receivers"][0].clone();
    assert!(r["error"].is_null() && r["nextRetryAt"].is_null(), "{r}");
    crate::logs::logger(&port.to_string(), "-d --rfc3164 -t late -p local7.err", "MARK-LATE over UDP");
    crate::logs::logger(&port.to_string(), "-T --rfc3164 -t late -p local7.err", "MARK-LATE over TCP");
    vigie.wait_until(std::time::Duration::from_secs(20), "both lines are stored", |v| {
        let received = v.get("/api/v1/status").body["logs"]["syslogReceived"].as_u64()?;
        (received >= 2).then_some(())
    });
    assert!(vigie.log().contains("now listens on"), "{}", vigie.log());
}

/// An event stream opened over raw HTTP/1.1 (`cookie`: a session's, or none with `--auth off`);
/// answers the socket once the response's headers are read.
fn open_stream(vigie: &Vigie, cookie: Option<&str>) -> std::io::BufReader<std::net::TcpStream> {
    let cookie = cookie.map(|c| format!("Cookie: vigie_session={c}\r\n")).unwrap_or_default();
    open_stream_with(vigie, &cookie)
}

/// An event stream opened with these header lines (each ending in CRLF).
fn open_stream_with(vigie: &Vigie, headers: &str) -> std::io::BufReader<std::net::TcpStream> {
    use std::io::{BufRead, Write};
    let mut socket = std::net::TcpStream::connect(("127.0.0.1", vigie.port())).unwrap();
    socket.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    write!(socket, "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n").unwrap();
    let mut reader = std::io::BufReader::new(socket);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            return reader;
        }
    }
}

/// Reads until the server closes the stream; panics if it stays open past the read timeout.
fn read_to_close(mut stream: std::io::BufReader<std::net::TcpStream>) {
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut stream, &mut rest).expect("the server closes the stream");
}

#[test]
fn sigterm_ends_open_event_streams_and_stops_well_before_the_deadline() {
    let data = tempfile::tempdir().unwrap();
    let mut vigie = Vigie::start(data.path());
    let streams: Vec<_> = (0..3).map(|_| open_stream(&vigie, None)).collect();
    vigie.wait_until(std::time::Duration::from_secs(10), "three streams open", |v| {
        (v.get("/api/v1/status").body["http"]["sseStreams"].as_u64()? == 3).then_some(())
    });
    let asked = std::time::Instant::now();
    let status = vigie.terminate();
    let took = asked.elapsed();
    println!("SIGTERM with 3 event streams open: the process exited in {} ms", took.as_millis());
    assert!(status.success(), "{status:?}");
    assert!(took < std::time::Duration::from_secs(4), "{took:?}: the 5 s deadline was waited for");
    for stream in streams {
        read_to_close(stream);
    }
}

#[test]
fn logging_out_ends_that_sessions_event_streams() {
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start_with(data.path(), &["--auth", "on"]);
    let initial = std::fs::read_to_string(data.path().join("initial-admin-password")).unwrap();
    crate::auth::first_admin(&vigie, initial.trim());
    let http = crate::vigie::client_builder().build().unwrap();
    let login = |http: &reqwest::blocking::Client| {
        let body = serde_json::json!({"username": "admin", "password": crate::auth::ADMIN_PASSWORD});
        let answer = http.post(vigie.url("/api/v1/session")).json(&body).send().unwrap();
        assert_eq!(answer.status(), 200);
        let cookie = answer.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.strip_prefix("vigie_session=").unwrap().split(';').next().unwrap().to_string();
        let csrf = answer.json::<serde_json::Value>().unwrap()["csrfToken"].as_str().unwrap().to_string();
        (cookie, csrf)
    };
    let (leaving, csrf) = login(&http);
    let (staying, _) = login(&http);
    let ended = open_stream(&vigie, Some(&leaving));
    let mut kept = open_stream(&vigie, Some(&staying));

    let logout = http
        .delete(vigie.url("/api/v1/session"))
        .header("cookie", format!("vigie_session={leaving}"))
        .header("x-csrf-token", csrf)
        .send()
        .unwrap();
    assert_eq!(logout.status(), 204);
    read_to_close(ended);

    // The other session's stream stays open: its next keep-alive (every 15 s) comes through.
    kept.get_ref().set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut kept, &mut line).unwrap();
    assert!(!line.is_empty(), "the other session's stream is still open");
}

#[test]
fn revoking_a_token_ends_its_event_streams() {
    let data = tempfile::tempdir().unwrap();
    let (vigie, password) = crate::auth::start(data.path(), &[]);
    let admin = crate::auth::first_admin(&vigie, &password);
    let (revoked, revoked_id) = crate::auth::new_token(&vigie, &admin, "dashboard", "viewer");
    let (other, _) = crate::auth::new_token(&vigie, &admin, "script", "viewer");
    let ended = open_stream_with(&vigie, &format!("Authorization: Bearer {revoked}\r\n"));
    let mut kept = open_stream_with(&vigie, &format!("Authorization: Bearer {other}\r\n"));

    let answer = crate::vigie::client_builder()
        .build()
        .unwrap()
        .delete(vigie.url(&format!("/api/v1/tokens/{revoked_id}")))
        .header("authorization", format!("Bearer {other}"))
        .send()
        .unwrap();
    assert_eq!(answer.status(), 403, "a viewer token cannot revoke");
    crate::auth::revoke_token(&vigie, &admin, &revoked_id);
    read_to_close(ended);

    // The other token's stream stays open: its next keep-alive (every 15 s) comes through.
    kept.get_ref().set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut kept, &mut line).unwrap();
    assert!(!line.is_empty(), "the other token's stream is still open");
}
