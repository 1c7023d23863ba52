//! What the whole machine did during a window, from `/proc/stat` and `/proc/loadavg`: how busy
//! its CPUs were and how much time the host took from this virtual machine (steal). The same
//! binary and command have read 2.4 times apart on two days' machines; these say whether the
//! machine itself was busy or shared.

/// The machine's CPU counters at one moment (the `cpu` line of `/proc/stat`, in clock ticks).
pub struct MachineReading {
    /// Every field summed (user, nice, system, idle, iowait, irq, softirq, steal).
    total: u64,
    /// idle + iowait.
    idle: u64,
    steal: u64,
}

impl MachineReading {
    pub fn now() -> MachineReading {
        let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        MachineReading::parse(text.lines().next().unwrap_or(""))
    }

    /// Reads the aggregate `cpu` line; guest time (fields 9 and 10) is already in user and nice.
    fn parse(line: &str) -> MachineReading {
        let fields: Vec<u64> = line.split_whitespace().skip(1).take(8).filter_map(|f| f.parse().ok()).collect();
        let field = |i: usize| fields.get(i).copied().unwrap_or(0);
        MachineReading { total: fields.iter().sum(), idle: field(3) + field(4), steal: field(7) }
    }

    /// One line: the CPUs' busy and stolen shares since `before`, and the load average now.
    pub fn summary_since(&self, before: &MachineReading) -> String {
        let total = self.total.saturating_sub(before.total).max(1) as f64;
        let idle = self.idle.saturating_sub(before.idle) as f64;
        let steal = self.steal.saturating_sub(before.steal) as f64;
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        format!(
            "machine in the window: CPUs {:.1} % busy, {:.2} % stolen by the host; load average {}",
            100.0 * (total - idle - steal) / total,
            100.0 * steal / total,
            load.join(" ")
        )
    }
}
