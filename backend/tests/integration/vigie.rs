//! The real `vigie` binary, started on a free loopback port over a data directory the test
//! owns, and driven through its HTTP API.
#![allow(dead_code)] // shared test support: not every test uses every helper

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub use crate::ports::free_tcp_port;
use crate::ports::{free_tcp_and_udp_port, free_udp_port};

const BIN: &str = env!("CARGO_BIN_EXE_vigie");
const READY_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Vigie {
    child: Option<Child>,
    port: u16,
    /// Syslog over UDP and TCP share this port number.
    pub syslog_port: u16,
    pub trap_port: u16,
    data_dir: PathBuf,
    log_path: PathBuf,
    http: reqwest::blocking::Client,
    /// `https` when started with `--tls-cert` (the test's client then accepts its certificate).
    scheme: &'static str,
}

/// An HTTP answer: status and JSON body (Null when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub location: Option<String>,
}

impl Vigie {
    /// Starts vigie over `data_dir` and waits until `/api/v1/health` answers.
    pub fn start(data_dir: &Path) -> Vigie {
        Vigie::start_with(data_dir, &[])
    }

    /// The same, with more `vigie serve` arguments. Access control is off (loopback) unless
    /// `extra` says `--auth on`: the tests of access control are in `auth.rs`.
    pub fn start_with(data_dir: &Path, extra: &[&str]) -> Vigie {
        Vigie::start_with_env(data_dir, extra, &[])
    }

    /// The same, with environment variables set for vigie (test knobs such as
    /// `VIGIE_TEST_SEAL_EVERY_SECS`).
    pub fn start_with_env(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Vigie {
        Vigie::start_bin(BIN, data_dir, extra, env)
    }

    /// The same with another `vigie` binary (benchmarks comparing two builds).
    pub fn start_bin(bin: &str, data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Vigie {
        let auth: &[&str] = if extra.contains(&"--auth") { &[] } else { &["--auth", "off"] };
        let port = free_tcp_port();
        let syslog_port = free_tcp_and_udp_port();
        let trap_port = free_udp_port();
        let log_path = data_dir.with_extension(format!("log-{port}"));
        // The receivers on free ports, unless `extra` names their addresses (then all three).
        let receiver_args = vec![
            "--syslog-udp".to_string(),
            format!("127.0.0.1:{syslog_port}"),
            "--syslog-tcp".to_string(),
            format!("127.0.0.1:{syslog_port}"),
            "--trap-udp".to_string(),
            format!("127.0.0.1:{trap_port}"),
        ];
        let log = File::create(&log_path).expect("create vigie's log");
        let child = Command::new(bin)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            .args(if extra.contains(&"--syslog-udp") { Vec::new() } else { receiver_args })
            .args(auth)
            .args(extra)
            .env("RUST_LOG", "debug")
            .envs(env.iter().copied())
            .env_remove("VIGIE_CONFIG")
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("start vigie");
        let tls = extra.contains(&"--tls-cert");
        let http = client(tls, reqwest::header::HeaderMap::new());
        let mut vigie = Vigie {
            child: Some(child),
            port,
            syslog_port,
            trap_port,
            data_dir: data_dir.to_path_buf(),
            log_path,
            http,
            scheme: if tls { "https" } else { "http" },
        };
        vigie.wait_until(READY_TIMEOUT, "vigie answers /api/v1/health", |v| {
            v.try_get("/api/v1/health").ok().filter(|a| a.status == 200).map(|_| ())
        });
        vigie
    }

    /// The HTTP port, for tests that speak raw TCP.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The process id of the running vigie.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("vigie runs").id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The answer, or why there is none: the client's error with its causes, and how long it took.
    fn send(&self, request: reqwest::blocking::RequestBuilder) -> Result<Answer, String> {
        let started = Instant::now();
        let failed = |e: reqwest::Error| {
            let mut why = format!("{e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                why.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            format!("{why} (after {:?})", started.elapsed())
        };
        let response = request.send().map_err(failed)?;
        let status = response.status().as_u16();
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = response.text().map_err(failed)?;
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
        Ok(Answer { status, body, text, location })
    }

    /// Sends `Authorization: Bearer <token>` with every request from now on (for Vigie started
    /// with `--auth on`).
    pub fn use_token(&mut self, token: &str) {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("authorization", format!("Bearer {token}").parse().expect("a header value"));
        self.http = client(self.scheme == "https", headers);
    }

    /// A request with extra headers, for CORS and caching checks; answers the response.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> reqwest::blocking::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let request = headers.iter().fold(self.http.request(method, self.url(path)), |r, (k, v)| r.header(*k, *v));
        request.send().expect("request answers")
    }

    fn try_get(&self, path: &str) -> Result<Answer, String> {
        self.send(self.http.get(self.url(path)))
    }

    pub fn get(&self, path: &str) -> Answer {
        self.try_get(path).unwrap_or_else(|why| panic!("GET {path} failed: {why}; vigie log:\n{}", self.log()))
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.raw("POST", path, "application/json", body.to_string())
    }

    pub fn patch_json(&self, path: &str, body: &Value) -> Answer {
        self.raw("PATCH", path, "application/json", body.to_string())
    }

    pub fn delete(&self, path: &str) -> Answer {
        self.send(self.http.delete(self.url(path))).unwrap_or_else(|why| panic!("DELETE {path} failed: {why}"))
    }

    /// Any request with a body as given, for malformed-input tests.
    pub fn raw(&self, method: &str, path: &str, content_type: &str, body: String) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let request = self.http.request(method.clone(), self.url(path)).header("content-type", content_type).body(body);
        self.send(request).unwrap_or_else(|why| panic!("{method} {path} failed: {why}; vigie log:\n{}", self.log()))
    }

    /// Adds a device polled every second from the agent on `port`; answers its id.
    pub fn add_device(&self, name: &str, port: u16) -> String {
        let answer = self.post_json(
            "/api/v1/devices",
            &json!({"name": name, "host": "127.0.0.1", "port": port,
                    "snmp": {"version": "v2c", "community": "public"},
                    "pollIntervalSecs": 1, "timeoutMs": 300, "retries": 0}),
        );
        assert_eq!(answer.status, 201, "{}", answer.text);
        answer.body["id"].as_str().expect("id").to_string()
    }

    /// Polls `check` every 100 ms until it answers Some, panicking with the log after `timeout`.
    pub fn wait_until<T>(&mut self, timeout: Duration, what: &str, check: impl Fn(&Vigie) -> Option<T>) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = check(self) {
                return value;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("vigie exited with {status} while waiting until {what}; log:\n{}", self.log());
            }
            if Instant::now() > deadline {
                panic!("timed out waiting until {what}; vigie log:\n{}", self.log());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Vigie's resident memory now, in KiB (VmRSS).
    pub fn rss_kib(&self) -> u64 {
        let pid = self.child.as_ref().expect("vigie is running").id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("a VmRSS line");
        line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("VmRSS in kB")
    }

    pub fn device(&self, id: &str) -> Value {
        self.get(&format!("/api/v1/devices/{id}")).body
    }

    /// Stops vigie with SIGTERM, as a service manager would; answers its exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        self.signal("TERM")
    }

    /// Kills vigie with SIGKILL, as a crash would.
    pub fn kill9(&mut self) -> ExitStatus {
        self.signal("KILL")
    }

    fn signal(&mut self, name: &str) -> ExitStatus {
        let mut child = self.child.take().expect("vigie is running");
        let ok = Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status().expect("run kill");
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().expect("wait for vigie") {
                return status;
            }
            assert!(Instant::now() < deadline, "vigie did not stop after SIG{name}; log:\n{}", self.log());
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Vigie {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// How long a test's client keeps an idle connection to Vigie for the next request: well under
/// the 5 s after which Vigie closes an idle keep-alive connection. A request sent on a connection
/// just as the server closes it is lost (hyper's `IncompleteMessage`): reproduced on the loaded
/// machine, and the likely cause of two requests the full suite lost after pauses of about 5 s.
const POOL_IDLE: Duration = Duration::from_secs(3);

/// A client for Vigie that never reuses a connection Vigie may be closing (see `POOL_IDLE`).
pub fn client_builder() -> reqwest::blocking::ClientBuilder {
    reqwest::blocking::Client::builder().pool_idle_timeout(POOL_IDLE)
}

/// The test's own HTTP client; over TLS it takes the test's certificate as it is (what the test
/// checks is Vigie's side).
pub fn client(tls: bool, headers: reqwest::header::HeaderMap) -> reqwest::blocking::Client {
    client_builder()
        .timeout(Duration::from_secs(10))
        .default_headers(headers)
        .danger_accept_invalid_certs(tls)
        .build()
        .expect("http client")
}
