//! Real receivers for the notification tests: an HTTP server on a loopback port that records
//! each request and answers the statuses it is told to (200 once they run out), and a real
//! SMTP server (aiosmtpd from PyPI, through `scripts/aiosmtpd.sh`) writing to a Maildir.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request received: lowercase header names, and the exact body bytes.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status it was answered.
    pub answered: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

pub struct HttpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl HttpSink {
    /// A sink on a free port that answers `statuses` in turn, then 200.
    pub fn start(statuses: &[u16]) -> HttpSink {
        HttpSink::start_on(TcpListener::bind("127.0.0.1:0").expect("bind the sink"), statuses)
    }

    pub fn start_on(listener: TcpListener, statuses: &[u16]) -> HttpSink {
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let statuses = Arc::new(Mutex::new(statuses.iter().copied().collect::<VecDeque<u16>>()));
        let seen = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let status = statuses.lock().unwrap().pop_front().unwrap_or(200);
                if let Some(request) = serve(stream, status) {
                    seen.lock().unwrap().push(request);
                }
            }
        });
        HttpSink { port, received }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to `timeout`) until `n` requests have arrived; answers them.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "the sink got {} request(s), not {n}: {got:?}", got.len());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Reads one request (headers, then Content-Length bytes) and answers `status`.
fn serve(stream: TcpStream, status: u16) -> Option<Received> {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let Some((name, value)) = line.trim_end().split_once(':') else { break };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let length: usize = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok())?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let text = if status == 200 { "ok" } else { "sink says no" };
    let answer = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}", text.len());
    (&stream).write_all(answer.as_bytes()).ok()?;
    Some(Received { path, headers, body, answered: status })
}

/// aiosmtpd on a free loopback port, delivering into a Maildir.
pub struct SmtpSink {
    pub port: u16,
    child: Child,
    maildir: PathBuf,
}

impl SmtpSink {
    pub fn start(dir: &Path) -> SmtpSink {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let installed =
            Command::new(root.join("scripts/aiosmtpd.sh")).arg("--install").status().expect("run aiosmtpd.sh");
        assert!(installed.success(), "scripts/aiosmtpd.sh --install failed");
        let port = super::super::vigie::free_tcp_port();
        let maildir = dir.join("maildir");
        let child = Command::new(root.join("scripts/aiosmtpd.sh"))
            .args(["-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdin(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        SmtpSink { port, child, maildir }
    }

    /// The messages delivered so far, as text.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else { return Vec::new() };
        entries.flatten().map(|e| std::fs::read_to_string(e.path()).unwrap()).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
