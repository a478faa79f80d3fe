/**
 * @module Counters of the units Cloudflare bills, kept by the code path that
 * spends them, per isolate. The benchmark reads them (GET /v1/usage) to price
 * a delivered event from what the code did, not from an estimate.
 */
import { z } from "zod";

/**
 * The counters, once: their type here and GET /v1/usage's answer
 * (src/api/operations/usage.ts) both come from this schema.
 */
export const usageCountersSchema = z.object({
  workerRequests: z.number().describe("Worker invocations: API requests, queue batches, cron runs"),
  queueOperations: z
    .number()
    .describe("Queue operations as billed: one per message written, read and deleted (acked)"),
  doRequests: z.number().describe("Durable Object requests: RPC calls and alarms"),
  doRowsRead: z.number(),
  doRowsWritten: z.number(),
  doActiveMs: z
    .number()
    .describe("Wall time the objects spent running alarms (billed as duration while active)"),
  d1: z.object({ queries: z.number(), rowsRead: z.number(), rowsWritten: z.number() }),
  subrequests: z.number().describe("Outbound fetches to receivers"),
  finishedEvents: z.number().describe("Events that reached a final state (success or failed)"),
});

export type Usage = z.infer<typeof usageCountersSchema>;

function emptyUsage(): Usage {
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
