/** @module Turning API values into short, readable text. */
import type { RetryPolicy } from "../../clients/typescript/src/client";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** "Nov 22, 2026, 4:31:07 PM" in the viewer's locale and time zone. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

/** "3 minutes ago", "in 5 seconds". */
export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  if (!Number.isFinite(seconds)) return iso;
  const abs = Math.abs(seconds);
  if (abs < 45) return relative.format(seconds, "second");
  if (abs < 45 * 60) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 36 * 3600) return relative.format(Math.round(seconds / 3600), "hour");
  return relative.format(Math.round(seconds / 86_400), "day");
}

/** 850 → "850 ms", 12_300 → "12.3 s". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** 950 → "950 B", 1_500_000 → "1.5 MB" (powers of 1,000, as D1's and R2's limits and prices count). */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** 90 → "1 min 30 s", 7200 → "2 h". */
export function formatSeconds(total: number): string {
  if (total < 60) return `${total} s`;
  const parts: string[] = [];
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} h`);
  if (minutes) parts.push(`${minutes} min`);
  if (seconds && !days) parts.push(`${seconds} s`);
  return parts.slice(0, 2).join(" ");
}

export function formatPercent(rate: number | null): string {
  if (rate === null) return "—";
  const percent = rate * 100;
  return `${percent >= 99.95 || percent === 0 ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

/**
 * The end of a UUID, enough to tell ids apart on screen. Not the start: a
 * UUIDv7 begins with its timestamp, so ids made in the same minute share it.
 */
export function shortId(id: string): string {
  return `…${id.slice(-8)}`;
}

/** A one-line summary of a retry policy. */
export function describePolicy(policy: RetryPolicy): string {
  if ("schedule_seconds" in policy) {
    const schedule = policy.schedule_seconds;
    if (schedule.length === 0) return "No retries";
    const shown = schedule.slice(0, 4).map(formatSeconds).join(", ");
    const more = schedule.length > 4 ? ", …" : "";
    return `${schedule.length + 1} attempts: retry after ${shown}${more}`;
  }
  if (policy.strategy === "fixed")
    return `${policy.max_attempts} attempts, every ${formatSeconds(policy.interval_seconds)}`;
  return `${policy.max_attempts} attempts, exponential from ${formatSeconds(
    policy.initial_interval_seconds,
  )} ×${policy.multiplier} up to ${formatSeconds(policy.max_interval_seconds)}`;
}

/** A payload (any JSON value) as indented JSON. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** A response body: indented when it is JSON, as received otherwise. */
export function prettyBody(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return text;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return text;
  }
}

/**
 * The error worth showing beside a status code: empty when it only repeats
 * the code ("HTTP 502" next to a 502 badge).
 */
export function extraError(errorMessage: string, httpStatusCode: number): string {
  return errorMessage === `HTTP ${httpStatusCode}` ? "" : errorMessage;
}

/** What to call a webhook: its name, else its URL's host and path. */
export function webhookTitle(webhook: { name: string | null; url: string }): string {
  if (webhook.name) return webhook.name;
  try {
    const url = new URL(webhook.url);
    return `${url.host}${url.pathname === "/" ? "" : url.pathname}`;
  } catch {
    return webhook.url;
  }
}

/** How a success rate reads: good from 99 %, a warning from 90 %, bad below. */
export function rateTone(rate: number | null): "good" | "warn" | "bad" | "" {
  if (rate === null) return "";
  return rate >= 0.99 ? "good" : rate >= 0.9 ? "warn" : "bad";
}

/** A `datetime-local` value (local time, minutes) for `date`. */
export function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
