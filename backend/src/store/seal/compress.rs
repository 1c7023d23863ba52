//! The zstd side of sealing: the level and parameters of a sealed frame, and the contexts
//! kept between seals.

use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};

use zstd::stream::raw::CParameter;
use zstd::zstd_safe::CCtx;

use super::Content;

/// How a sealed frame of each [`Content`] is compressed.
struct Tuning {
    level: i32,
    /// zstd's shortest match.
    min_match: u32,
    /// The hash table's size (log 2) for the fast strategy; `None`: sized for the input.
    hash_log: Option<u32>,
}

/// Raw samples (a device's hour, sealed every hour: most of sealing's CPU) take level 1, zstd's
/// fastest strategy, with a shortest match of 7 and level 1's own 8 K-entry hash table. Delta
/// lines are digits and commas whose repeats are short: level 9's deeper search found almost
/// nothing more there, for 4 to 6 times the CPU (0.92 of a 2.5 ms seal of a 48-interface hour
/// at 10 Mbit/s). The frames are 1 % smaller with busy ports and 4 % larger with three quarters
/// of them idle (`zstd -b1 --zstd=mml=7` against `-b9 --zstd=mml=6` on the footprint test's
/// delta lines; larger hash tables made them larger and slower). The README's Sealed files
/// section has the figures.
const SAMPLES: Tuning = Tuning { level: 1, min_match: 7, hash_log: Some(13) };

/// Rollup lines (a day's, sealed once a day) keep level 9: there its deeper search pays (level
/// 1 made them 2 % larger) and their CPU is small; 19 costs ten times the CPU of 9 for a few
/// percent less. Level 9 takes 5 for the shortest match of large inputs, 4 for small ones; the
/// short matches it finds in digits and commas cost more than the literals they replace: with
/// 6, a day of 5-minute rollups is 4 % smaller and compresses and decompresses faster (`zstd -b9
/// --zstd=mml=6`; 7 gives the same bytes).
const ROLLUPS: Tuning = Tuning { level: 9, min_match: 6, hash_log: None };

/// Sets `content`'s parameters (every one a kept context may hold from another content's frame)
/// and sizes zstd's window and match tables for at most `input_bytes` of input, as zstd does
/// itself when told the input's size (here only a bound is known: raw samples shrink as deltas).
/// For an unknown size, level 9 takes a 4 MiB window and 12 MiB of tables, allocated and cleared
/// for every seal, though a device's hour is a few hundred KiB: sized, a 48-interface hour
/// (about 120 KiB) takes about 2 MiB. The frame and its ratio are the same (the window still
/// holds the whole input).
fn tune(zstd: &mut zstd::Encoder<impl Write>, content: Content, input_bytes: u64) -> io::Result<()> {
    let tuning = match content {
        Content::Polls => SAMPLES,
        Content::Lines => ROLLUPS,
    };
    // The input's size rounded up to a power of two, from zstd's least window (1 KiB) to
    // level 9's own (4 MiB); its hash and chain tables are never larger than level 9's either
    // (the fast strategy has no chain table).
    let log = (u64::BITS - input_bytes.saturating_sub(1).leading_zeros()).clamp(10, 22);
    zstd.set_parameter(CParameter::CompressionLevel(tuning.level))?;
    zstd.set_parameter(CParameter::WindowLog(log))?;
    zstd.set_parameter(CParameter::HashLog(tuning.hash_log.unwrap_or((log + 1).min(21))))?;
    zstd.set_parameter(CParameter::ChainLog(log.min(20)))?;
    zstd.set_parameter(CParameter::MinMatch(tuning.min_match))
}

/// zstd contexts kept between seals, at most [`KEPT_CONTEXTS`]: a context's workspace (a few
/// MiB for a device's hour) is allocated, and its pages faulted in, once instead of at every
/// seal (a new context per seal was a tenth of sealing's CPU at 2,000 devices, in page faults
/// and in clearing its tables), and zstd reuses its tables without clearing them.
static CONTEXTS: Mutex<Vec<CCtx<'static>>> = Mutex::new(Vec::new());
/// Seals run on the store writer's thread, now and then on another (start, tests): two contexts
/// cover both without a context per thread.
const KEPT_CONTEXTS: usize = 2;

/// Calls `seal` with a zstd context from [`CONTEXTS`] (or a new one), kept again after.
pub(in crate::store) fn with_context<T>(seal: impl FnOnce(&mut CCtx<'static>) -> T) -> T {
    let kept = CONTEXTS.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let mut context = kept.unwrap_or_else(CCtx::create);
    let out = seal(&mut context);
    let mut kept = CONTEXTS.lock().unwrap_or_else(PoisonError::into_inner);
    if kept.len() < KEPT_CONTEXTS {
        kept.push(context);
    }
    out
}

/// A zstd encoder of one sealed frame of `content`, at most `input_bytes`, into `out`, with
/// `context`.
pub(in crate::store) fn frame_encoder<'c, W: Write>(
    out: W,
    context: &'c mut CCtx<'static>,
    content: Content,
    input_bytes: u64,
) -> io::Result<zstd::Encoder<'c, W>> {
    let mut zstd = zstd::Encoder::with_context(out, context);
    tune(&mut zstd, content, input_bytes)?;
    Ok(zstd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(context: &mut CCtx<'static>, content: Content, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut zstd = frame_encoder(&mut out, context, content, input.len() as u64).unwrap();
        zstd.write_all(input).unwrap();
        zstd.finish().unwrap();
        out
    }

    /// A kept context holds the parameters of its last frame: each content's frame must come out
    /// the same whatever the context sealed before, and each must read back.
    #[test]
    fn a_kept_context_compresses_each_content_the_same_whatever_it_sealed_before() {
        let samples: Vec<u8> = (0..2_000u64)
            .flat_map(|i| format!("[{},{},0,0,{}]\n", i * 7919 % 1_000_003, i % 48, i * 31).into_bytes())
            .collect();
        let rollups: Vec<u8> = (0..500u64)
            .flat_map(|i| format!("{{\"t\":{},\"avg\":[{},{}]}}\n", i * 300, i * 13 % 977, i * 17 % 1_009).into_bytes())
            .collect();
        let fresh = |content, input: &[u8]| frame(&mut CCtx::create(), content, input);
        let (samples_alone, rollups_alone) = (fresh(Content::Polls, &samples), fresh(Content::Lines, &rollups));
        assert_ne!(samples_alone, frame(&mut CCtx::create(), Content::Lines, &samples), "the contents are tuned apart");

        let mut kept = CCtx::create();
        for _ in 0..2 {
            assert_eq!(frame(&mut kept, Content::Lines, &rollups), rollups_alone);
            assert_eq!(frame(&mut kept, Content::Polls, &samples), samples_alone);
        }
        assert_eq!(zstd::decode_all(&samples_alone[..]).unwrap(), samples);
        assert_eq!(zstd::decode_all(&rollups_alone[..]).unwrap(), rollups);
    }
}
