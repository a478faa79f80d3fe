/** @module Structured JSON logs: one object a line, never a secret in them. */

type LogLevel = "info" | "warn" | "error";
type LogFields = Record<string, string | number | boolean | null | undefined>;
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

/** What may be logged about an error: never its message, which may quote data. */
type ErrorDescription = {
  error_class: string;
  /** A constant code the error carries (`SQLITE_CONSTRAINT_UNIQUE`, `ECONNRESET`), if any. */
  error_code?: string;
  /** For a failed query: its verb and table (`insert webhooks`), never its parameters. */
  operation?: string;
};

const SQLITE_CODE = /\bSQLITE_[A-Z_]+\b/;
const CONSTRAINT = /\b(UNIQUE|FOREIGN KEY|NOT NULL|CHECK|PRIMARY KEY) constraint failed\b/;
const STATEMENT = /^\s*(?:with\b[\s\S]*?\)\s*)?(insert\s+into|update|delete\s+from|select\b[\s\S]*?\bfrom)\s+["`]?(\w+)/i;

/**
 * A log-safe description of `error`: its class, a constant code and, for a
 * failed query, the statement's verb and table. A driver's message quotes
 * bound parameters (drizzle's "Failed query: … params: …" holds signing
 * secrets and key hashes), so no message, parameter or cause text is ever
 * copied out; only fixed vocabulary matched in it is.
 *
 * @example
 * deps.log("error", "fan-out failed", { request_id, ...describeError(error) });
 */
export function describeError(error: unknown): ErrorDescription {
  if (!(error instanceof Error)) return { error_class: typeof error };
  const description: ErrorDescription = { error_class: safeName(error) };
  const query = (error as { query?: unknown }).query;
  if (typeof query === "string") {
    const match = STATEMENT.exec(query);
    if (match) {
      const verb = match[1]!.split(/\s+/)[0]!.toLowerCase();
      description.operation = `${verb} ${match[2]!.toLowerCase()}`;
    }
  }
  const code = errorCode(error);
  if (code) description.error_code = code;
  return description;
}

/** The class name, if it looks like one (a thrown object may set any `name`). */
function safeName(error: Error): string {
  const name = error.constructor?.name || error.name;
  return /^[A-Za-z_$][\w$]{0,63}$/.test(name) ? name : "Error";
}

function errorCode(error: Error): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth += 1) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]{1,63}$/.test(code)) return code;
    if (typeof message === "string" && current !== error) {
      // The cause of a failed query is the driver's error: take its fixed words only.
      const constraint = CONSTRAINT.exec(message)?.[1];
      if (constraint) return `SQLITE_CONSTRAINT_${constraint.replace(" ", "")}`;
      const sqlite = SQLITE_CODE.exec(message)?.[0];
      if (sqlite) return sqlite;
    }
    current = cause;
  }
  return undefined;
}
