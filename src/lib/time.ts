/** @module Times: stored and served as RFC 3339 UTC strings, which sort as text. */

export function toRfc3339(date: Date | number): string {
  return new Date(date).toISOString();
}

export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
