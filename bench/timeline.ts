// Interval arithmetic for benchmarks: how long something was in flight (the union of its requests' intervals).

/** A time interval in milliseconds, start inclusive. */
export interface Interval {
  start: number;
  end: number;
}

/** The intervals merged where they overlap or touch, in order. */
export function merge(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out.at(-1);
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}

/** Total time covered by at least one interval. */
export function unionMs(intervals: readonly Interval[]): number {
  return merge(intervals).reduce((sum, i) => sum + (i.end - i.start), 0);
}

/** Time covered by `a` but by none of `b`. */
export function outsideMs(a: readonly Interval[], b: readonly Interval[]): number {
  return unionMs([...a, ...b]) - unionMs(b);
}

/** The median of a non-empty list (the lower middle one for an even count, so it is a measured value). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
