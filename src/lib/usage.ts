/**
 * @module Counters of the units Cloudflare bills, kept by the code path that
 * spends them, per isolate. The benchmark reads them (GET /v1/usage) to price
 * a delivered event from what the code did, not from an estimate.
 */
import { z } from "zod";

/** What a D1 database's answers report (`meta`): queries, rows, and the time spent executing them. */
const d1Counters = z.object({
  queries: z.number(),
  rowsRead: z.number(),
  rowsWritten: z.number(),
  busyMs: z.number().describe("Sum of meta.duration: the database's time executing these queries"),
});

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
  d1: d1Counters.describe("The main D1 database (the control plane and the archive's index)"),
  history: d1Counters.describe("The history shards, together"),
  r2: z
    .object({
      classA: z.number().describe("Writes and lists (PutObject, ListObjects), billed as Class A"),
      classB: z.number().describe("Reads (GetObject, HeadObject), billed as Class B; deletes are free"),
      bytesWritten: z.number(),
    })
    .describe("The history bucket: payloads and the archive"),
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
    d1: { queries: 0, rowsRead: 0, rowsWritten: 0, busyMs: 0 },
    history: { queries: 0, rowsRead: 0, rowsWritten: 0, busyMs: 0 },
    r2: { classA: 0, classB: 0, bytesWritten: 0 },
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
    for (const db of ["d1", "history"] as const) {
      total[db].queries += u[db].queries;
      total[db].rowsRead += u[db].rowsRead;
      total[db].rowsWritten += u[db].rowsWritten;
      total[db].busyMs += u[db].busyMs;
    }
    total.r2.classA += u.r2.classA;
    total.r2.classB += u.r2.classB;
    total.r2.bytesWritten += u.r2.bytesWritten;
    total.subrequests += u.subrequests;
    total.finishedEvents += u.finishedEvents;
  }
  return total;
}
