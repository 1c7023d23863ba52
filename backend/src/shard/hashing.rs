//! Which shard a device belongs to: rendezvous (highest random weight) hashing of its id. Device
//! `d` belongs to shard `argmax_i h("<d>/<i>")` for `i` in `0..N`, `h` being FNV-1a 64 written out
//! here, so that every version on every platform agrees (a primary and its pollers may be of
//! different builds). Adding a shard moves only the devices the new shard wins: about 1/N.

use std::fmt;

use crate::device::DeviceId;

/// Shards in a fleet, at most.
pub const MAX_SHARDS: u32 = 1024;

/// One share of the devices: shard `index` of `count` (written `I/N`, e.g. `0/2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether `id` is this shard's device.
    pub fn owns(&self, id: &DeviceId) -> bool {
        owner(id, self.count) == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(text: &str) -> Result<Shard, String> {
        let wrong = || format!("'{text}' is not I/N with 0 <= I < N <= {MAX_SHARDS}, e.g. 0/2");
        let (index, count) = text.trim().split_once('/').ok_or_else(wrong)?;
        let index: u32 = index.parse().map_err(|_| wrong())?;
        let count: u32 = count.parse().map_err(|_| wrong())?;
        if count == 0 || count > MAX_SHARDS || index >= count {
            return Err(wrong());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// FNV-1a, 64 bits (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The shard of `id` among `count` (the lowest index wins a tie, which FNV makes vanishingly rare).
pub fn owner(id: &DeviceId, count: u32) -> u32 {
    let weight = |i: u32| fnv1a64(format!("{}/{i}", id.0).as_bytes());
    (0..count.max(1))
        .fold((0, 0), |(best, best_weight), i| {
            let w = weight(i);
            if i == 0 || w > best_weight {
                (i, w)
            } else {
                (best, best_weight)
            }
        })
        .0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> DeviceId {
        DeviceId(format!("{n:08x}"))
    }

    #[test]
    fn fnv1a64_matches_the_published_vectors() {
        // From the FNV reference (isthe.com/chongo/tech/comp/fnv): "", "a", "foobar".
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn owners_are_fixed_across_versions() {
        // Pinned: a change here would move devices between a primary and pollers of different builds.
        let owners: Vec<u32> = ["3f9a2c1b", "00000000", "deadbeef", "0badf00d"]
            .iter()
            .map(|text| owner(&DeviceId(text.to_string()), 4))
            .collect();
        assert_eq!(owners, PINNED_OWNERS_OF_4);
        assert_eq!(owner(&DeviceId("3f9a2c1b".into()), 1), 0);
    }

    // Computed independently (a few lines of Python over the same definition).
    const PINNED_OWNERS_OF_4: [u32; 4] = [0, 1, 1, 2];

    #[test]
    fn shards_share_the_devices_evenly_and_every_device_has_one() {
        let mut counts = [0u32; 4];
        for n in 0..4000 {
            counts[owner(&id(n * 7919), 4) as usize] += 1;
        }
        assert_eq!(counts.iter().sum::<u32>(), 4000);
        assert!(counts.iter().all(|&c| (800..1200).contains(&c)), "{counts:?}");
    }

    #[test]
    fn adding_a_shard_moves_only_what_the_new_shard_takes() {
        let ids: Vec<DeviceId> = (0..3000).map(|n| id(n * 104_729)).collect();
        let moved: Vec<&DeviceId> = ids.iter().filter(|d| owner(d, 3) != owner(d, 4)).collect();
        // Every device that moved went to the new shard, and about a quarter moved.
        assert!(moved.iter().all(|d| owner(d, 4) == 3));
        assert!((600..900).contains(&moved.len()), "{} of 3000 moved", moved.len());
    }

    #[test]
    fn shards_parse_as_i_of_n() {
        assert_eq!("1/2".parse::<Shard>(), Ok(Shard { index: 1, count: 2 }));
        assert_eq!(Shard { index: 0, count: 3 }.to_string(), "0/3");
        for wrong in ["2/2", "0/0", "1", "a/2", "-1/2", "0/5000"] {
            assert!(wrong.parse::<Shard>().is_err(), "{wrong}");
        }
    }
}
