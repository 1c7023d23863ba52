//! One round of echoes to one address, reduced to what is stored and shown: how many were sent
//! and answered, and the round-trip times of those answered.

use std::time::Duration;

/// The result of one round of echo requests.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EchoRound {
    pub sent: u16,
    pub received: u16,
    /// Round-trip times of the answered echoes, in milliseconds; `None` when none answered.
    pub rtt_min_ms: Option<f64>,
    pub rtt_avg_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
    /// Why a request could not be sent or answered, other than a plain timeout (e.g. "No route
    /// to host"), the last seen in the round.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl EchoRound {
    /// The round made of `sent` requests, of which those in `rtts` were answered.
    pub fn from_rtts(sent: u16, rtts: &[Duration]) -> EchoRound {
        let ms: Vec<f64> = rtts.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        let received = u16::try_from(ms.len()).unwrap_or(u16::MAX).min(sent);
        let avg = (!ms.is_empty()).then(|| ms.iter().sum::<f64>() / ms.len() as f64);
        EchoRound {
            sent,
            received,
            rtt_min_ms: ms.iter().copied().reduce(f64::min),
            rtt_avg_ms: avg,
            rtt_max_ms: ms.iter().copied().reduce(f64::max),
            error: None,
        }
    }

    /// Share of the echoes lost, 0 to 100; 100 when nothing was sent.
    pub fn loss_percent(&self) -> f64 {
        if self.sent == 0 {
            return 100.0;
        }
        100.0 * f64::from(self.sent - self.received) / f64::from(self.sent)
    }

    /// Whether the address answered at all.
    pub fn answered(&self) -> bool {
        self.received > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_keeps_min_avg_max_of_the_answered_echoes() {
        let rtts = [Duration::from_micros(1500), Duration::from_micros(500), Duration::from_micros(4000)];
        let round = EchoRound::from_rtts(4, &rtts);
        assert_eq!((round.sent, round.received), (4, 3));
        assert_eq!(round.rtt_min_ms, Some(0.5));
        assert_eq!(round.rtt_avg_ms, Some(2.0));
        assert_eq!(round.rtt_max_ms, Some(4.0));
        assert_eq!(round.loss_percent(), 25.0);
        assert!(round.answered());
    }

    #[test]
    fn a_silent_round_has_no_times_and_full_loss() {
        let round = EchoRound::from_rtts(3, &[]);
        assert_eq!((round.received, round.rtt_min_ms, round.rtt_avg_ms, round.rtt_max_ms), (0, None, None, None));
        assert_eq!(round.loss_percent(), 100.0);
        assert!(!round.answered());
        assert_eq!(EchoRound::from_rtts(0, &[]).loss_percent(), 100.0);
    }
}
