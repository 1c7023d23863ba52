//! The real `vigie serve` under measure, and what /proc says about it.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// CPU seconds of this process's waited-for children (fields cutime and cstime of /proc/self/stat).
pub fn children_cpu_secs() -> f64 {
    stat_fields("/proc/self/stat", 15, 16)
}

pub fn stat_fields(path: &str, a: usize, b: usize) -> f64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let after = text.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields counted from 1 in proc(5); `after` starts at field 3.
    let get = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (get(a) + get(b)) / 100.0
}

/// A process's CPU time at one moment: user + system in clock ticks (`/proc/PID/stat`, every
/// thread that ever ran, to 0.01 s) and each live thread's nanoseconds (`schedstat`).
pub struct CpuReading {
    ticks: f64,
    threads: std::collections::HashMap<u32, u64>,
    /// Each live thread's name (`comm`: `vigie-poller`, `vigie-poll-writ`, ...).
    names: std::collections::HashMap<u32, String>,
}

impl CpuReading {
    /// CPU seconds from `before` to this reading: to the nanosecond from the threads' schedstat
    /// when every thread alive at `before` still is (threads born since count whole); from the
    /// clock ticks otherwise (a thread that ended took its time with it), which a short window
    /// at small fleets would round to a few hundredths of a second.
    pub fn secs_since(&self, before: &CpuReading) -> f64 {
        if before.threads.is_empty() || before.threads.keys().any(|tid| !self.threads.contains_key(tid)) {
            return self.ticks - before.ticks;
        }
        let ns: u64 = self.threads.iter().map(|(tid, ns)| Self::ran_since(before, *tid, *ns)).sum();
        ns as f64 / 1e9
    }

    /// Nanoseconds thread `tid` (`ns` now) ran since `before`: all of them for a thread born
    /// since, or one that took the id of a thread that ended (its count starts lower).
    fn ran_since(before: &CpuReading, tid: u32, ns: u64) -> u64 {
        match before.threads.get(&tid) {
            Some(&then) if then <= ns => ns - then,
            _ => ns,
        }
    }

    /// CPU seconds from `before` to this reading per thread name, most first (threads alive at
    /// this reading, from their schedstat; one that ended meanwhile is left out).
    pub fn by_thread_since(&self, before: &CpuReading) -> Vec<(String, f64)> {
        let mut by_name = std::collections::BTreeMap::<&str, u64>::new();
        for (tid, ns) in &self.threads {
            let name = self.names.get(tid).map_or("?", String::as_str);
            *by_name.entry(name).or_default() += Self::ran_since(before, *tid, *ns);
        }
        let mut secs: Vec<(String, f64)> =
            by_name.into_iter().map(|(name, ns)| (name.to_owned(), ns as f64 / 1e9)).collect();
        secs.sort_by(|a, b| b.1.total_cmp(&a.1));
        secs
    }
}

/// The real `vigie serve` (release build) on free loopback ports.
pub struct Server {
    child: Child,
    port: u16,
}

impl Server {
    pub fn start(data: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let default_bin = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/vigie");
        let bin = std::env::var("FLEET_VIGIE_BIN").unwrap_or_else(|_| default_bin.into());
        let child = Command::new(&bin)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data.join(""))
            .args(["--syslog-udp", "off", "--syslog-tcp", "off", "--trap-udp", "off", "--auth", "off"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vigie");
        let server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "vigie did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// p50 and p99 in ms of `count` GETs of `path`, one after the other.
    pub fn latency(&self, http: &reqwest::blocking::Client, path: &str, count: usize) -> (f64, f64) {
        let mut ms: Vec<f64> = (0..count)
            .map(|_| {
                let t = Instant::now();
                let answer = http.get(self.url(path)).send().unwrap();
                assert_eq!(answer.status().as_u16(), 200, "{path}");
                let _ = answer.bytes().unwrap();
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        (ms[ms.len() / 2], ms[(ms.len() * 99 / 100).min(ms.len() - 1)])
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The vigie process's CPU time so far, read two ways (see [`CpuReading::secs_since`]).
    pub fn cpu(&self) -> CpuReading {
        let pid = self.child.id();
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().filter_map(Result::ok);
        let (mut threads, mut names) = (std::collections::HashMap::new(), std::collections::HashMap::new());
        for task in tasks {
            let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else { continue };
            // schedstat's first field: nanoseconds this thread ran.
            let schedstat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
            let Some(ns) = schedstat.split_whitespace().next().and_then(|ns| ns.parse().ok()) else { continue };
            threads.insert(tid, ns);
            let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            names.insert(tid, name.trim_end().to_owned());
        }
        CpuReading { ticks: stat_fields(&format!("/proc/{pid}/stat"), 14, 15), threads, names }
    }

    /// Context switches (voluntary and not) of every thread of the vigie process so far: about
    /// one per wake-up of a thread.
    pub fn context_switches(&self) -> u64 {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.child.id())).into_iter().flatten();
        tasks
            .filter_map(Result::ok)
            .filter_map(|task| std::fs::read_to_string(task.path().join("status")).ok())
            .flat_map(|status| {
                let counts: Vec<u64> = status
                    .lines()
                    .filter(|l| l.contains("ctxt_switches:"))
                    .filter_map(|l| l.split_whitespace().nth(1)?.parse().ok())
                    .collect();
                counts
            })
            .sum()
    }

    /// Descriptors the vigie process holds now (entries of /proc/PID/fd), and its soft limit
    /// (`Max open files` of /proc/PID/limits; Vigie raises it to the hard limit at start).
    pub fn descriptors(&self) -> (usize, String) {
        let open = std::fs::read_dir(format!("/proc/{}/fd", self.child.id())).map_or(0, |d| d.count());
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", self.child.id())).unwrap_or_default();
        let soft = limits
            .lines()
            .find_map(|l| l.strip_prefix("Max open files"))
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or("?")
            .to_string();
        (open, soft)
    }

    /// A memory figure of /proc/PID/status in MB: `VmRSS:` now, `VmHWM:` the peak.
    pub fn rss_mb(&self, key: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        kb / 1024.0
    }

    pub fn stop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}
