//! A rate kept with an interface's latest reading: an `f64` whose NaN means "none", 8 bytes
//! where `Option<f64>` takes 16 (six per interface, for every interface polled). Every bit of a
//! rate is kept (an `f32` would change the tenths the API shows above 2 Mbit/s). A rate is a
//! counter delta over a positive duration, or a number read from a samples file: never NaN
//! itself.

use std::fmt;

/// A rate in units per second, or none.
#[derive(Clone, Copy)]
pub struct Rate(f64);

impl Rate {
    pub const NONE: Rate = Rate(f64::NAN);

    pub fn get(self) -> Option<f64> {
        (!self.0.is_nan()).then_some(self.0)
    }
}

impl From<Option<f64>> for Rate {
    fn from(rate: Option<f64>) -> Rate {
        Rate(rate.unwrap_or(f64::NAN))
    }
}

impl PartialEq for Rate {
    fn eq(&self, other: &Rate) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_bit_of_a_rate_and_none() {
        for rate in [Some(0.0), Some(-0.0), Some(1e6 / 3.0), Some(f64::MAX), Some(f64::INFINITY), None] {
            assert_eq!(Rate::from(rate).get().map(f64::to_bits), rate.map(f64::to_bits));
        }
        assert_eq!(Rate::NONE, Rate::from(None));
        assert_ne!(Rate::from(Some(1.0)), Rate::NONE);
        assert_eq!(format!("{:?}", Rate::from(Some(2.5))), "Some(2.5)");
        assert_eq!(std::mem::size_of::<Rate>(), 8);
    }
}
