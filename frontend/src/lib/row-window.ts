//! Windowing maths for virtual tables: which rows of a long list are drawn for a scroll position, and
//! the blank space above and below them that keeps the scroll bar true. Pure.

export interface RowWindow {
  /** First row drawn (index into the list). */
  start: number;
  /** One past the last row drawn. */
  end: number;
  /** Pixels of blank space above the first row drawn. */
  padTop: number;
  /** Pixels of blank space below the last row drawn. */
  padBottom: number;
}

/**
 * The rows to draw when `count` rows of `rowHeight` px sit in a viewport `viewport` px tall scrolled to
 * `scrollTop` (measured from the first row), with `overscan` extra rows on each side so a fast scroll
 * does not show blank space before the next frame. Never more than the list, never a negative space.
 */
export function rowWindow(count: number, rowHeight: number, scrollTop: number, viewport: number, overscan: number): RowWindow {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const visible = Math.ceil(Math.max(0, viewport) / rowHeight) + 1;
  const start = Math.min(Math.max(0, first - overscan), Math.max(0, count - 1));
  const end = Math.min(count, first + visible + overscan);
  return { start, end: Math.max(start, end), padTop: start * rowHeight, padBottom: (count - Math.max(start, end)) * rowHeight };
}

/** True when the drawn rows must change: the window moved or the list is another one. */
export function sameWindow(a: RowWindow | null, b: RowWindow): boolean {
  return a !== null && a.start === b.start && a.end === b.end && a.padBottom === b.padBottom;
}
