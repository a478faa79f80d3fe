/**
 * @module `rate_limit_per_second` as a sliding window: a send is allowed only
 * when fewer than `limit` sends started in the last second, so no window of
 * one second ever holds more than `limit`. (A token bucket would allow twice
 * the limit across a window boundary.)
 */

export class SlidingWindow {
  private starts: number[] = [];

  /** How many of `wanted` sends may start at `now`, recording those granted. */
  take(limit: number | null, wanted: number, now: number): number {
    if (!limit) return wanted;
    this.starts = this.starts.filter((t) => now - t < 1000);
    const granted = Math.max(0, Math.min(wanted, limit - this.starts.length));
    for (let i = 0; i < granted; i++) this.starts.push(now);
    return granted;
  }

  /** Milliseconds until another send may start (0 when one may start now). */
  waitMs(limit: number | null, now: number): number {
    if (!limit || this.starts.length < limit) return 0;
    const oldest = Math.min(...this.starts);
    return Math.max(1, oldest + 1000 - now);
  }
}
