/**
 * @module Counters of the units Cloudflare bills, kept by the code path that
 * spends them, per isolate. The benchmark reads them (GET /v1/usage) to price
 * a delivered event from what the code did, not from an estimate.
 */
import type { D1Usage } from "../db/metered";

export type Usage = {
  /** Worker invocations: API requests, queue batches, cron runs. */
  workerRequests: number;
  /** Queue operations as billed: one per message written, read and deleted (acked). */
  queueOperations: number;
  /** Durable Object requests: RPC calls and alarms. */
  doRequests: number;
  doRowsRead: number;
  doRowsWritten: number;
  /** Wall time the objects spent running alarms (billed as duration while active). */
  doActiveMs: number;
  d1: D1Usage;
  /** Outbound fetches to receivers. */
  subrequests: number;
  /** Events that reached a final state (success or failed). */
  finishedEvents: number;
};

export function emptyUsage(): Usage {
  return {
    workerRequests: 0,
    queueOperations: 0,
    doRequests: 0,
    doRowsRead: 0,
    doRowsWritten: 0,
    doActiveMs: 0,
    d1: { queries: 0, rowsRead: 0, rowsWritten: 0 },
    subrequests: 0,
    finishedEvents: 0,
  };
}

/** This isolate's counters since it started (or since the last reset). */
export const usage: Usage = emptyUsage();

let isolateId: string | undefined;

/**
 * Tells isolates apart, so that counters shared by one isolate are not added
 * twice. Made on first use: workerd forbids randomness at global scope.
 */
export function currentIsolateId(): string {
  isolateId ??= crypto.randomUUID();
  return isolateId;
}

export function resetUsage(): void {
  Object.assign(usage, emptyUsage());
}

/** Sums the counters of distinct isolates. */
export function sumUsage(parts: Usage[]): Usage {
  const total = emptyUsage();
  for (const u of parts) {
    total.workerRequests += u.workerRequests;
    total.queueOperations += u.queueOperations;
    total.doRequests += u.doRequests;
    total.doRowsRead += u.doRowsRead;
    total.doRowsWritten += u.doRowsWritten;
    total.doActiveMs += u.doActiveMs;
    total.d1.queries += u.d1.queries;
    total.d1.rowsRead += u.d1.rowsRead;
    total.d1.rowsWritten += u.d1.rowsWritten;
    total.subrequests += u.subrequests;
    total.finishedEvents += u.finishedEvents;
  }
  return total;
}
