//! The HTTP server's bounds, tried by raw TCP clients: an oversize body is refused before it is
//! sent and its connection closed, an endless chunked body is cut, a body that trickles is cut at
//! its deadline, and event streams are bounded per address and in total, a client that does not
//! read being dropped once its buffer fills, all counted in `/status`.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::vigie::Vigie;

/// Starts vigie with an `[http]` section of its config file.
fn start_with_http(data: &Path, http: &str) -> Vigie {
    let config = data.join("vigie.toml");
    std::fs::write(&config, format!("[http]\n{http}\n")).unwrap();
    Vigie::start_with(&data.join("data"), &["--config", config.to_str().unwrap()])
}

/// A connection from `source` (any 127.0.0.0/8 address is this host's own).
fn connect_from(vigie: &Vigie, source: Ipv4Addr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    // A small receive window: a client that does not read fills it quickly.
    socket.set_recv_buffer_size(4096).unwrap();
    socket.bind(&SocketAddr::from((source, 0)).into()).unwrap();
    socket.connect(&SocketAddr::from(([127, 0, 0, 1], vigie.port())).into()).unwrap();
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    stream
}

/// Reads until the server closes the connection (or resets it); panics after 15 s.
fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut text = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => text.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => {
                panic!("the server kept the connection open: {e}; read so far: {}", String::from_utf8_lossy(&text))
            }
        }
    }
    String::from_utf8_lossy(&text).into_owned()
}

/// The JSON body of a raw HTTP answer.
fn body_of(answer: &str) -> Value {
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

fn http_status(vigie: &Vigie) -> Value {
    vigie.get("/api/v1/status").body["http"].clone()
}

#[test]
fn a_huge_content_length_is_refused_before_the_body_is_sent_and_the_connection_closed() {
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start(&data.path().join("data"));
    let mut client = connect_from(&vigie, Ipv4Addr::LOCALHOST);
    let head = "POST /api/v1/devices HTTP/1.1\r\nHost: vigie\r\nContent-Type: application/json\r\n\
                Content-Length: 104857600\r\n\r\n";
    client.write_all(head.as_bytes()).unwrap();
    // Not one byte of the body is sent: the answer comes on the head alone.
    let answer = read_until_closed(&mut client);
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    assert_eq!(
        body_of(&answer),
        json!({"code": "payload_too_large", "message": "request body is larger than 65536 bytes", "field": null})
    );
    assert_eq!(http_status(&vigie)["bodiesTooLarge"], 1);
}

#[test]
fn an_endless_chunked_body_is_refused_and_its_connection_cut() {
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start(&data.path().join("data"));
    let mut client = connect_from(&vigie, Ipv4Addr::LOCALHOST);
    let head = "POST /api/v1/devices HTTP/1.1\r\nHost: vigie\r\nContent-Type: application/json\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
    client.write_all(head.as_bytes()).unwrap();
    let mut writer = client.try_clone().unwrap();
    let sender = thread::spawn(move || {
        let chunk = format!("4000\r\n{}\r\n", "a".repeat(0x4000));
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut sent = 0u64;
        while Instant::now() < deadline {
            if writer.write_all(chunk.as_bytes()).is_err() {
                return (sent, true);
            }
            sent += 0x4000;
        }
        (sent, false)
    });
    let answer = read_until_closed(&mut client);
    let (sent, cut) = sender.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert_eq!(body_of(&answer)["code"], "payload_too_large");
    assert!(cut, "the server stopped reading the endless body ({sent} bytes sent in 30 s)");
    println!("endless chunked body: 413, then the connection closed after {} MB sent", sent / 1_000_000);
}

#[test]
fn a_body_that_trickles_is_cut_at_its_deadline() {
    let data = tempfile::tempdir().unwrap();
    let vigie = start_with_http(data.path(), "body_timeout_secs = 1");
    let mut client = connect_from(&vigie, Ipv4Addr::LOCALHOST);
    let head = "POST /api/v1/devices HTTP/1.1\r\nHost: vigie\r\nContent-Type: application/json\r\n\
                Content-Length: 60000\r\n\r\n{";
    client.write_all(head.as_bytes()).unwrap();
    let mut writer = client.try_clone().unwrap();
    // One byte every 200 ms: 60,000 bytes would take over three hours.
    let trickle = thread::spawn(move || {
        for _ in 0..100 {
            thread::sleep(Duration::from_millis(200));
            if writer.write_all(b" ").is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let answer = read_until_closed(&mut client);
    println!("trickled body: answered and closed after {:?}", started.elapsed());
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert_eq!(
        body_of(&answer),
        json!({"code": "request_timeout", "message": "the request body did not arrive within 1 seconds", "field": null})
    );
    trickle.join().unwrap();
    assert_eq!(http_status(&vigie)["bodiesTimedOut"], 1);
}

/// Opens an event stream from `source` and answers the connection with the head read, or the
/// whole refusal when the server refused it.
fn open_stream(vigie: &Vigie, source: Ipv4Addr) -> (TcpStream, String) {
    let mut stream = connect_from(vigie, source);
    stream.write_all(b"GET /api/v1/events HTTP/1.1\r\nHost: vigie\r\n\r\n").unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("an answer's head");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    if head.starts_with("HTTP/1.1 200 ") {
        return (stream, head);
    }
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(|n| n.trim().parse().unwrap()))
        .expect("a refusal has a length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    (stream, format!("{head}{}", String::from_utf8_lossy(&body)))
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn event_streams_are_bounded_and_a_client_that_does_not_read_is_dropped() {
    let data = tempfile::tempdir().unwrap();
    let mut vigie = start_with_http(
        data.path(),
        "max_sse_streams = 6\nmax_sse_streams_per_address = 3\nsse_buffer_kib = 16\nmax_connections = 64",
    );
    let a = Ipv4Addr::new(127, 0, 0, 2);
    let b = Ipv4Addr::new(127, 0, 0, 3);
    let mut quiet: Vec<TcpStream> = Vec::new();
    let mut open_quiet = |source| {
        let (stream, head) = open_stream(&vigie, source);
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        quiet.push(stream);
    };
    [a, a, a].into_iter().for_each(&mut open_quiet);
    let (_, per_address) = open_stream(&vigie, a);
    assert!(per_address.starts_with("HTTP/1.1 429 "), "{per_address}");
    assert_eq!(
        body_of(&per_address),
        json!({"code": "too_many_streams", "message": "too many event streams are open from your address (the limit is 3); try again later", "field": null})
    );
    [b, b, b].into_iter().for_each(&mut open_quiet);
    let (_, total) = open_stream(&vigie, Ipv4Addr::new(127, 0, 0, 4));
    assert!(total.starts_with("HTTP/1.1 503 "), "{total}");
    assert_eq!(
        body_of(&total),
        json!({"code": "too_many_streams", "message": "too many event streams are open (the limit is 6); try again later", "field": null})
    );
    let status = http_status(&vigie);
    assert_eq!(
        (&status["sseStreams"], &status["sseRefused"], &status["sseDropped"]),
        (&json!(6), &json!(2), &json!(0))
    );

    // A burst of 8 KiB syslog messages: every entry is an event for the six streams, which
    // nobody reads. Health is probed throughout.
    let rss_before = rss_kib(vigie.pid());
    let syslog = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let message = format!("<13>Nov 30 10:00:00 burst app: {}", "x".repeat(8 * 1024));
    let mut slowest_health = Duration::ZERO;
    for i in 0..2_000 {
        syslog.send_to(message.as_bytes(), ("127.0.0.1", vigie.syslog_port)).unwrap();
        if i % 100 == 0 {
            let asked = Instant::now();
            assert_eq!(vigie.get("/api/v1/health").status, 200);
            slowest_health = slowest_health.max(asked.elapsed());
            thread::sleep(Duration::from_millis(20));
        }
    }
    let status = vigie.wait_until(Duration::from_secs(20), "the quiet streams are dropped", |v| {
        let status = http_status(v);
        (status["sseDropped"] == 6 && status["sseStreams"] == 0).then_some(status)
    });
    let rss_after = rss_kib(vigie.pid());
    println!(
        "six quiet streams through a 16 MB syslog burst: RSS {} -> {} MB, slowest health {:?}, http {status}",
        rss_before / 1024,
        rss_after / 1024,
        slowest_health
    );
    // Their connections were cut by the server.
    for mut stream in quiet {
        read_until_closed(&mut stream);
    }
    // The places are free again: a new stream is admitted.
    let (_, head) = open_stream(&vigie, a);
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count()
}

#[test]
fn idle_connections_are_bounded_and_closed_after_the_request_timeout() {
    let data = tempfile::tempdir().unwrap();
    let mut vigie = start_with_http(data.path(), "max_connections = 4\nmax_sse_streams = 2\nrequest_timeout_secs = 1");
    let before = open_fds(vigie.pid());
    // 12 clients connect and say nothing. The server takes at most its limit (shared out between
    // its worker threads, rounded up per worker); the rest wait in the kernel's accept queue.
    let idle: Vec<TcpStream> = (0..12).map(|_| connect_from(&vigie, Ipv4Addr::LOCALHOST)).collect();
    thread::sleep(Duration::from_millis(500));
    let held = open_fds(vigie.pid()) - before;
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    assert!(held <= 4 + cores, "{held} connections taken for a limit of 4 over {cores} workers");
    // Each idle one is answered 408 and closed a second after it was taken, so the queue drains
    // and a request that waited behind them gets its answer.
    let mut client = connect_from(&vigie, Ipv4Addr::LOCALHOST);
    client.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: vigie\r\nConnection: close\r\n\r\n").unwrap();
    let answer = read_until_closed(&mut client);
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    println!("12 idle connections: at most {held} held at once (limit 4)");
    for mut stream in idle {
        assert!(read_until_closed(&mut stream).starts_with("HTTP/1.1 408 "), "an idle client is told and closed");
    }
    vigie.terminate();
}
