/** @module Structured JSON logs: one object a line, never a secret in them. */

export type LogLevel = "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type Logger = (level: LogLevel, msg: string, fields?: LogFields) => void;

const RANK: Record<LogLevel, number> = { info: 0, warn: 1, error: 2 };

/** A logger that drops lines below `minimum` (RELAY_LOG_LEVEL). */
export function createLogger(minimum: LogLevel = "info"): Logger {
  return (level, msg, fields = {}) => {
    if (RANK[level] < RANK[minimum]) return;
    const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields });
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  };
}

export const jsonLogger: Logger = createLogger("info");

/**
 * What may be logged of an error: its class, never its message, since drivers
 * put bound values (secrets among them) in their messages.
 */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
