//! The zstd side of sealing: the level and parameters of a sealed frame, and the contexts
//! kept between seals.

use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};

use zstd::zstd_safe::CCtx;

/// zstd level: 19 costs ten times the CPU of 9 for a few percent less (measured on the
/// samples bench); a device's hour is sealed in milliseconds.
const LEVEL: i32 = 9;
/// zstd's shortest match (level 9 takes 5 for large inputs, 4 for small ones). Delta lines are
/// digits and commas: the short matches level 9 finds there cost more than the literals they
/// replace. With 6, a 48-interface hour of deltas is 8 % smaller, a day of 5-minute rollups 4 %
/// smaller, and both compress and decompress faster (`zstd -b9 --zstd=mml=6` on the footprint
/// test's files; the README's Sealed files section has the figures). 7 gives the same bytes.
const MIN_MATCH: u32 = 6;
/// Sizes zstd's window and match tables for at most `input_bytes` of input, as zstd does itself
/// when told the input's size (here only a bound is known: raw samples shrink as deltas). For
/// an unknown size, level 9 takes a 4 MiB window and 12 MiB of tables, allocated and cleared
/// for every seal, though a device's hour is a few hundred KiB: sized, a 48-interface hour
/// (about 120 KiB) takes about 2 MiB. The frame and its ratio are the same (the window still
/// holds the whole input). Also sets the shortest match ([`MIN_MATCH`]).
fn tune_for_input(zstd: &mut zstd::Encoder<impl Write>, input_bytes: u64) -> io::Result<()> {
    use zstd::stream::raw::CParameter;
    // The input's size rounded up to a power of two, from zstd's least window (1 KiB) to
    // level 9's own (4 MiB); its hash and chain tables are never larger than level 9's either.
    let log = (u64::BITS - input_bytes.saturating_sub(1).leading_zeros()).clamp(10, 22);
    zstd.set_parameter(CParameter::WindowLog(log))?;
    zstd.set_parameter(CParameter::HashLog((log + 1).min(21)))?;
    zstd.set_parameter(CParameter::ChainLog(log.min(20)))?;
    zstd.set_parameter(CParameter::MinMatch(MIN_MATCH))
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

/// A zstd encoder of one sealed frame of at most `input_bytes`, into `out`, with `context`.
pub(in crate::store) fn frame_encoder<'c, W: Write>(
    out: W,
    context: &'c mut CCtx<'static>,
    input_bytes: u64,
) -> io::Result<zstd::Encoder<'c, W>> {
    let mut zstd = zstd::Encoder::with_context(out, context);
    zstd.set_parameter(zstd::stream::raw::CParameter::CompressionLevel(LEVEL))?;
    tune_for_input(&mut zstd, input_bytes)?;
    Ok(zstd)
}
