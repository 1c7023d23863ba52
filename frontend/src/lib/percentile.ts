//! Percentiles of a traffic window, as drawn on the interface graph.
//!
//! Method: **nearest rank** over the non-null per-step *averages* the server returned for the window.
//! Sort the n known values ascending; the p-th percentile is the value at rank ⌈p/100 · n⌉ (1-based).
//! It is always one of the measured values (no interpolation), which is the convention of burstable
//! ("95th percentile") billing. Gaps (null) are left out rather than counted as zero, so an outage does not
//! lower the figure. Caveat: on long windows each step already averages several polls, which smooths bursts,
//! so the 95th percentile of a 1-year view reads lower than one computed on raw 5-minute samples.

/** Nearest-rank percentile `p` (0 < p ≤ 100) of the finite values; null when there are none. */
export function percentile(values: readonly (number | null | undefined)[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const known = values.filter((v): v is number => v != null && Number.isFinite(v));
  if (known.length === 0) return null;
  known.sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * known.length);
  return known[rank - 1]!;
}

/** The 95th percentile by nearest rank (see the module comment). */
export function percentile95(values: readonly (number | null | undefined)[]): number | null {
  return percentile(values, 95);
}
