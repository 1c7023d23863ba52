//! Counter deltas to rates: bits per second from two readings of an octet counter, honest about
//! wraps, reboots and resets.
//!
//! Rules (the top complaint about LibreNMS and Cacti is spikes after reboots):
//! - a 32-bit or 64-bit counter that wrapped once gives the right rate;
//! - a reboot (sysUpTime went backwards) gives a gap, never a spike;
//! - a counter that went backwards without a plausible wrap gives a gap;
//! - a rate above the interface speed (with [`SPEED_HEADROOM`]) is dropped and counted.

use crate::snmp::if_mib::CounterBits;

/// Agents update counters on their own cadence (often every few seconds), so two readings can
/// briefly imply slightly more than line rate. Above this factor of the speed, it is a glitch.
pub const SPEED_HEADROOM: f64 = 1.10;

/// sysUpTime is a 32-bit count of hundredths of a second: it wraps every 497 days.
const UPTIME_MODULUS: u64 = 1 << 32;

/// One reading of one counter pair, with when it was taken.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    pub at_ms: i64,
    pub uptime_ticks: u32,
    pub in_octets: u64,
    pub out_octets: u64,
    pub bits: CounterBits,
}

/// What two readings tell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RateOutcome {
    Rate {
        in_bps: f64,
        out_bps: f64,
    },
    /// No rate for this interval; a gap in the graph.
    Gap(GapReason),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GapReason {
    /// sysUpTime went backwards: the device restarted.
    Reboot,
    /// A counter went backwards without a plausible wrap (reset, or a counter width change).
    CounterReset,
    /// The rate exceeds what the interface can carry.
    AboveSpeed,
    /// The two readings are not in time order.
    ClockWentBack,
}

/// Whether the agent restarted between two sysUpTime readings taken `elapsed_ms` apart.
pub fn rebooted(prev_ticks: u32, cur_ticks: u32, elapsed_ms: i64) -> bool {
    if cur_ticks >= prev_ticks {
        return false;
    }
    // A wrap of sysUpTime is not a reboot: after it, uptime moved forward by about the elapsed time.
    let wrapped_ticks = UPTIME_MODULUS - u64::from(prev_ticks) + u64::from(cur_ticks);
    let elapsed_ticks = (elapsed_ms.max(0) as u64) / 10;
    wrapped_ticks > elapsed_ticks * 2 + 100
}

/// Octets counted between two readings of one counter, if that is plausible.
fn delta(prev: u64, cur: u64, bits: CounterBits, elapsed_secs: f64, speed_bps: Option<u64>) -> Option<u64> {
    if cur >= prev {
        return Some(cur - prev);
    }
    // A value past the counter's width (an agent sending a Counter64 in a 32-bit column) is
    // no wrap at all.
    let wrapped = bits.modulus().checked_sub(u128::from(prev))? + u128::from(cur);
    // One wrap is plausible only if less than half the counter's range went by, and, where the
    // speed is known, the interface could have carried it.
    if wrapped >= bits.modulus() / 2 {
        return None;
    }
    let wrapped = wrapped as u64;
    match speed_bps {
        Some(speed) if (wrapped as f64 * 8.0 / elapsed_secs) > speed as f64 * SPEED_HEADROOM => None,
        _ => Some(wrapped),
    }
}

/// The rate between two readings of one interface.
pub fn rate(prev: &Reading, cur: &Reading, speed_bps: Option<u64>) -> RateOutcome {
    let elapsed_ms = cur.at_ms - prev.at_ms;
    if elapsed_ms <= 0 {
        return RateOutcome::Gap(GapReason::ClockWentBack);
    }
    if rebooted(prev.uptime_ticks, cur.uptime_ticks, elapsed_ms) {
        return RateOutcome::Gap(GapReason::Reboot);
    }
    if prev.bits != cur.bits {
        return RateOutcome::Gap(GapReason::CounterReset);
    }
    let elapsed_secs = elapsed_ms as f64 / 1000.0;
    let (Some(d_in), Some(d_out)) = (
        delta(prev.in_octets, cur.in_octets, cur.bits, elapsed_secs, speed_bps),
        delta(prev.out_octets, cur.out_octets, cur.bits, elapsed_secs, speed_bps),
    ) else {
        return RateOutcome::Gap(GapReason::CounterReset);
    };
    let in_bps = d_in as f64 * 8.0 / elapsed_secs;
    let out_bps = d_out as f64 * 8.0 / elapsed_secs;
    if let Some(speed) = speed_bps {
        let limit = speed as f64 * SPEED_HEADROOM;
        if in_bps > limit || out_bps > limit {
            return RateOutcome::Gap(GapReason::AboveSpeed);
        }
    }
    RateOutcome::Rate { in_bps, out_bps }
}

/// Events per second of a 32-bit error or discard counter; `None` where no rate can be told.
pub fn event_rate(prev: Option<u32>, cur: Option<u32>, elapsed_ms: i64) -> Option<f64> {
    let (prev, cur) = (prev?, cur?);
    if elapsed_ms <= 0 {
        return None;
    }
    let elapsed_secs = elapsed_ms as f64 / 1000.0;
    let d = delta(u64::from(prev), u64::from(cur), CounterBits::Bits32, elapsed_secs, None)?;
    Some(d as f64 / elapsed_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(at_s: i64, uptime_s: u32, in_octets: u64, out_octets: u64, bits: CounterBits) -> Reading {
        Reading { at_ms: at_s * 1000, uptime_ticks: uptime_s * 100, in_octets, out_octets, bits }
    }

    const GBIT: Option<u64> = Some(1_000_000_000);

    #[test]
    fn steady_traffic_gives_bits_per_second() {
        let a = reading(0, 1000, 1_000, 2_000, CounterBits::Bits64);
        let b = reading(60, 1060, 1_000 + 750_000, 2_000 + 7_500_000, CounterBits::Bits64);
        assert_eq!(rate(&a, &b, GBIT), RateOutcome::Rate { in_bps: 100_000.0, out_bps: 1_000_000.0 });
    }

    #[test]
    fn a_32_bit_wrap_gives_the_right_rate() {
        let a = reading(0, 1000, (1 << 32) - 1_000, 10, CounterBits::Bits32);
        let b = reading(10, 1010, 124_000, 10, CounterBits::Bits32);
        assert_eq!(rate(&a, &b, GBIT), RateOutcome::Rate { in_bps: 100_000.0, out_bps: 0.0 });
    }

    #[test]
    fn a_64_bit_wrap_gives_the_right_rate() {
        let a = reading(0, 1000, u64::MAX - 499, 0, CounterBits::Bits64);
        let b = reading(8, 1008, 500, 0, CounterBits::Bits64);
        assert_eq!(rate(&a, &b, GBIT), RateOutcome::Rate { in_bps: 1_000.0, out_bps: 0.0 });
    }

    #[test]
    fn a_reboot_gives_a_gap_not_a_spike() {
        let a = reading(0, 500_000, 9_000_000_000, 9_000_000_000, CounterBits::Bits64);
        let b = reading(60, 30, 1_000, 1_000, CounterBits::Bits64);
        assert_eq!(rate(&a, &b, GBIT), RateOutcome::Gap(GapReason::Reboot));
        // Same with 32-bit counters, where the drop would look like a wrap.
        let a = reading(0, 500_000, 4_000_000_000, 4_000_000_000, CounterBits::Bits32);
        let b = reading(60, 30, 1_000, 1_000, CounterBits::Bits32);
        assert_eq!(rate(&a, &b, None), RateOutcome::Gap(GapReason::Reboot));
    }

    #[test]
    fn a_wrap_of_sys_up_time_is_not_a_reboot() {
        let prev = u32::MAX - 1_000; // 10 s before the wrap
        assert!(!rebooted(prev, 5_000, 60_000));
        assert!(rebooted(prev, 5_000_000, 60_000));
    }

    #[test]
    fn a_counter_going_backwards_gives_a_gap() {
        let a = reading(0, 1000, 5_000_000_000, 100, CounterBits::Bits64);
        let b = reading(60, 1060, 1_000, 200, CounterBits::Bits64);
        assert_eq!(rate(&a, &b, GBIT), RateOutcome::Gap(GapReason::CounterReset));
    }

    #[test]
    fn a_32_bit_counter_past_32_bits_gives_a_gap_not_a_panic() {
        let a = reading(0, 1000, u64::MAX, 10, CounterBits::Bits32);
        let b = reading(10, 2000, 5, 20, CounterBits::Bits32);
        assert_eq!(rate(&a, &b, None), RateOutcome::Gap(GapReason::CounterReset));
    }

    #[test]
    fn an_implausible_32_bit_wrap_gives_a_gap() {
        // Backwards by a little on a 100 Mbit/s link: a wrap would mean ~570 Mbit/s.
        let a = reading(0, 1000, 3_000_000, 0, CounterBits::Bits32);
        let b = reading(60, 1060, 2_000_000, 0, CounterBits::Bits32);
        assert_eq!(rate(&a, &b, Some(100_000_000)), RateOutcome::Gap(GapReason::CounterReset));
    }

    #[test]
    fn a_rate_above_the_speed_is_dropped() {
        let a = reading(0, 1000, 0, 0, CounterBits::Bits64);
        // 2 Gbit/s in on a 1 Gbit/s port.
        let b = reading(10, 1010, 2_500_000_000, 0, CounterBits::Bits64);
        assert_eq!(rate(&a, &b, GBIT), RateOutcome::Gap(GapReason::AboveSpeed));
        // Unknown speed: kept.
        assert!(matches!(rate(&a, &b, None), RateOutcome::Rate { .. }));
    }

    #[test]
    fn readings_out_of_time_order_give_a_gap() {
        let a = reading(60, 1000, 0, 0, CounterBits::Bits64);
        let b = reading(60, 1000, 10, 0, CounterBits::Bits64);
        assert_eq!(rate(&a, &b, GBIT), RateOutcome::Gap(GapReason::ClockWentBack));
    }

    #[test]
    fn error_rates_handle_wraps_and_missing_counters() {
        assert_eq!(event_rate(Some(10), Some(40), 10_000), Some(3.0));
        assert_eq!(event_rate(Some(u32::MAX), Some(9), 10_000), Some(1.0));
        assert_eq!(event_rate(None, Some(9), 10_000), None);
    }
}
