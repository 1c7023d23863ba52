//! How simulated counters grow. The rate of each interface and direction is a mean scaled by
//! a daily sine plus three faster sines (the "noise"), whose periods, phases and amplitudes come
//! from a seeded hash of (agent seed, ifIndex, direction). A counter is the rate's closed-form
//! integral since boot, so it is a pure function of time: any two reads agree, reads never go
//! backwards, and nothing is stored per interface.

use std::f64::consts::TAU;

/// Every rate stays within these factors of the configured mean: the per-interface scale is in
/// [0.5, 1.5] and the variation (daily ± 0.3, noise ± 0.2) in [0.5, 1.5].
pub const RATE_MIN_FACTOR: f64 = 0.25;
pub const RATE_MAX_FACTOR: f64 = 2.25;
/// Means are lowered so that the peak stays under this share of the interface speed (a rate
/// above the speed is dropped by pollers).
const PEAK_SHARE_OF_SPEED: f64 = 0.9;
const DAY_SECS: f64 = 86_400.0;
const DAILY_AMPLITUDE: f64 = 0.3;
const NOISE_AMPLITUDES: [f64; 3] = [0.1, 0.06, 0.04];
/// Ranges of the noise periods, in seconds.
const NOISE_PERIODS: [(f64, f64); 3] = [(20.0, 60.0), (120.0, 600.0), (1800.0, 7200.0)];

/// SplitMix64: a tiny, good-enough hash for deterministic per-interface choices.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A uniform number in [0, 1) drawn from (seed, a, b).
pub fn unit(seed: u64, a: u64, b: u64) -> f64 {
    (mix(mix(mix(seed) ^ a) ^ b) >> 11) as f64 / (1u64 << 53) as f64
}

/// Which of an agent's `interfaces` are idle (up, but carrying no traffic: their counters stay
/// still), at ifIndex − 1: exactly `idle_percent` of them, rounded to the nearest, ranked by a
/// hash of (seed, ifIndex), so an agent with the same seed has the same idle ports after a
/// restart.
pub fn idle_ports(seed: u64, interfaces: u32, idle_percent: f64) -> Vec<bool> {
    let count = (f64::from(interfaces) * idle_percent.clamp(0.0, 100.0) / 100.0).round() as usize;
    let mut order: Vec<u32> = (1..=interfaces).collect();
    order.sort_by_key(|&i| mix(mix(seed ^ 0x1d1e) ^ u64::from(i)));
    let mut idle = vec![false; interfaces as usize];
    for &i in order.iter().take(count) {
        idle[i as usize - 1] = true;
    }
    idle
}

#[derive(Debug, Clone, Copy)]
struct Wave {
    period_secs: f64,
    omega: f64,
    amplitude: f64,
    phase: f64,
}

impl Wave {
    fn new(period_secs: f64, amplitude: f64, phase: f64) -> Wave {
        Wave { period_secs, omega: TAU / period_secs, amplitude, phase }
    }

    /// ωt + φ, reduced to a small angle first: Unix times make ωt huge, and libm's slow path
    /// for huge angles was half the simulator's time.
    fn angle(&self, t_secs: f64) -> f64 {
        let turns = t_secs / self.period_secs;
        TAU * (turns - turns.floor()) + self.phase
    }
}

/// The octet flow of one interface in one direction.
#[derive(Debug, Clone, Copy)]
pub struct Flow {
    mean_octets_per_sec: f64,
    waves: [Wave; 4],
}

impl Flow {
    /// The flow of `if_index` (direction 0 = in, 1 = out) for an agent configured with
    /// `rate_bps` on interfaces of `speed_bps`.
    pub fn new(seed: u64, if_index: u32, direction: u64, rate_bps: f64, speed_bps: u64) -> Flow {
        let key = (u64::from(if_index) << 8) | direction;
        let draw = |salt: u64| unit(seed, key, salt);
        let scale = 0.5 + draw(1);
        let peak_bps = rate_bps * scale * (1.0 + DAILY_AMPLITUDE + NOISE_AMPLITUDES.iter().sum::<f64>());
        let limit_bps = speed_bps as f64 * PEAK_SHARE_OF_SPEED;
        let mean_bps = if peak_bps > limit_bps { rate_bps * scale * limit_bps / peak_bps } else { rate_bps * scale };
        // Busiest in the afternoon (UTC), give or take an hour per interface.
        let daily_phase = -TAU * (14.0 + 2.0 * draw(2) - 1.0) / 24.0 + TAU / 4.0;
        let mut waves = [Wave::new(DAY_SECS, DAILY_AMPLITUDE, daily_phase); 4];
        for (i, ((low, high), amplitude)) in NOISE_PERIODS.iter().zip(NOISE_AMPLITUDES).enumerate() {
            let period = low + (high - low) * draw(10 + i as u64);
            waves[i + 1] = Wave::new(period, amplitude, TAU * draw(20 + i as u64));
        }
        Flow { mean_octets_per_sec: mean_bps / 8.0, waves }
    }

    /// A flow that never moves (an interface that is down).
    pub fn idle() -> Flow {
        Flow { mean_octets_per_sec: 0.0, waves: [Wave::new(1.0, 0.0, 0.0); 4] }
    }

    /// Octets counted between `boot_secs` and `now_secs` (Unix seconds).
    pub fn octets(&self, boot_secs: f64, now_secs: f64) -> u64 {
        let elapsed = now_secs - boot_secs;
        if elapsed <= 0.0 || self.mean_octets_per_sec == 0.0 {
            return 0;
        }
        // ∫ (1 + Σ a·sin(ωt + φ)) dt = t + Σ a/ω · (cos(ωb + φ) − cos(ωt + φ))
        let mut integral = elapsed;
        for w in &self.waves {
            integral += w.amplitude / w.omega * (w.angle(boot_secs).cos() - w.angle(now_secs).cos());
        }
        (self.mean_octets_per_sec * integral).max(0.0) as u64
    }

    /// The instantaneous rate at `now_secs`, in bits per second.
    pub fn rate_bps(&self, now_secs: f64) -> f64 {
        let variation: f64 = self.waves.iter().map(|w| w.amplitude * w.angle(now_secs).sin()).sum();
        self.mean_octets_per_sec * 8.0 * (1.0 + variation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_795_611_861.0;

    #[test]
    fn counters_only_grow_and_match_the_rate() {
        for if_index in 1..=20 {
            let flow = Flow::new(7, if_index, 0, 100e6, 1_000_000_000);
            let boot = NOW - 3600.0;
            let mut last = 0;
            for step in 0..5000 {
                let t = NOW + f64::from(step) * 0.037;
                let octets = flow.octets(boot, t);
                assert!(octets >= last, "ifIndex {if_index}: {octets} < {last} at step {step}");
                last = octets;
            }
            let (a, b) = (flow.octets(boot, NOW), flow.octets(boot, NOW + 1.0));
            let measured_bps = (b - a) as f64 * 8.0;
            assert!((measured_bps - flow.rate_bps(NOW + 0.5)).abs() < 0.01 * measured_bps + 8.0);
            assert!(
                (RATE_MIN_FACTOR * 100e6..=RATE_MAX_FACTOR * 100e6).contains(&measured_bps),
                "ifIndex {if_index}: {measured_bps}"
            );
        }
    }

    #[test]
    fn counters_start_at_zero_and_peaks_stay_under_the_speed() {
        let flow = Flow::new(1, 1, 1, 10e9, 1_000_000_000);
        assert_eq!(flow.octets(NOW, NOW), 0);
        for step in 0..2000 {
            let t = NOW + f64::from(step) * 61.0;
            assert!(flow.rate_bps(t) <= 0.9e9 + 1.0);
        }
        assert_eq!(Flow::idle().octets(NOW - 10.0, NOW), 0);
    }

    #[test]
    fn idle_ports_are_an_exact_share_picked_by_the_seed() {
        let idle = idle_ports(9, 48, 50.0);
        assert_eq!(idle.len(), 48);
        assert_eq!(idle.iter().filter(|&&i| i).count(), 24);
        assert_eq!(idle, idle_ports(9, 48, 50.0), "the same seed, the same ports");
        assert_ne!(idle, idle_ports(10, 48, 50.0));
        assert_eq!(idle_ports(9, 48, 75.0).iter().filter(|&&i| i).count(), 36);
        assert!(idle_ports(9, 48, 0.0).iter().all(|&i| !i));
        assert!(idle_ports(9, 7, 100.0).iter().all(|&i| i));
    }

    #[test]
    fn flows_are_deterministic_and_differ_between_interfaces() {
        let a = Flow::new(3, 5, 0, 1e6, 1_000_000_000);
        let b = Flow::new(3, 5, 0, 1e6, 1_000_000_000);
        let c = Flow::new(3, 6, 0, 1e6, 1_000_000_000);
        assert_eq!(a.octets(NOW, NOW + 100.0), b.octets(NOW, NOW + 100.0));
        assert_ne!(a.octets(NOW, NOW + 100.0), c.octets(NOW, NOW + 100.0));
    }
}
