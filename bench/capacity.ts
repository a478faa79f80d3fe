/**
 * @module The benchmark's history figures (issue #29): what a delivered
 * event costs in D1 bytes, D1 busy time and R2, the two capacity lines a
 * deployment's history allows, and what keeping it for RELAY_RETENTION_DAYS
 * costs. Everything comes from the run's measurements (GET /v1/usage, GET
 * /v1/operations/storage, the shards' files) and the code's constants; how
 * each is worked out is in docs/BENCHMARKS.md ("History: capacity and cost").
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { EventRow } from "../src/domain/event";
import type { MessageRow } from "../src/domain/message";
import { encodeEvent, encodeMessage } from "../src/storage/codec";
import { ARCHIVE_PAGE, FULL_SHARE, SLOT_MS } from "../src/storage/layout";
import { PRICES } from "./prices";

const round = (n: number, digits = 2) => Number(n.toFixed(digits));
const HOUR_MS = 3_600_000;
/** Hours in a month, as storage is billed (GB-month). */
const HOURS_PER_MONTH = 730;

/**
 * The history shards' bytes as their files would be after VACUUM (each
 * copied with `VACUUM INTO` by the sqlite3 command-line tool, which reads
 * them as they are): Miniflare's D1 files under the relay's state
 * directory, a shard told by its `events_0` table. Null when sqlite3 is not
 * installed.
 */
export function vacuumedHistoryBytes(persistTo: string): number | null {
  const dir = join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject");
  const sqlite = (...args: string[]) => spawnSync("sqlite3", args, { encoding: "utf8" });
  if (sqlite("-version").status !== 0 || !existsSync(dir)) return null;
  const scratch = mkdtempSync(join(tmpdir(), "hookrelay-vacuum-"));
  try {
    let bytes = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".sqlite"))) {
      const path = join(dir, file);
      if (sqlite(path, "SELECT count(*) FROM sqlite_master WHERE name = 'events_0'").stdout.trim() !== "1") continue;
      const copy = join(scratch, file);
      if (sqlite(path, `VACUUM INTO '${copy}'`).status !== 0) return null;
      bytes += statSync(copy).size;
    }
    return bytes;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** How one archive object's rows would be stored: gzip JSON lines of the codec's rows, bytes per row. */
export function archivedBytesPerRow(rows: unknown[]): number {
  if (rows.length === 0) return 0;
  return gzipSync(rows.map((r) => JSON.stringify(r)).join("\n")).byteLength / rows.length;
}

/** A sample of events and messages as the archive would hold them: bytes per event and per message. */
export function archiveSample(events: EventRow[], messages: MessageRow[]) {
  const ref = { object: "0".repeat(32), offset: 0, length: 0 };
  return {
    bytes_per_event: round(archivedBytesPerRow(events.map(encodeEvent)), 1),
    bytes_per_message: round(
      archivedBytesPerRow(messages.map(({ payload, ...m }) => encodeMessage(m, { ...ref, length: payload.length }))),
      1,
    ),
  };
}

export type HistoryMeasures = {
  deliveries: number;
  messages: number;
  webhooks: number;
  /** The history shards' and the main database's busy ms over the run (sum of meta.duration). */
  historyBusyMs: number;
  mainBusyMs: number;
  /** R2 operations and bytes written over the run. */
  r2ClassA: number;
  r2ClassB: number;
  r2BytesWritten: number;
  /** D1 bytes the run added, per delivered event (the shards' size as D1 reports it, or their files vacuumed). */
  d1BytesPerEvent: number;
  /** Each shard's limit. */
  shardLimits: number[];
  hotHours: number;
  retentionDays: number;
  archive: ReturnType<typeof archiveSample>;
};

/** The capacity lines and the cost of keeping history, from a run's measures. */
export function historyFigures(m: HistoryMeasures) {
  const perEvent = (n: number) => n / m.deliveries;
  const historyBusy = perEvent(m.historyBusyMs);
  const mainBusy = perEvent(m.mainBusyMs);
  // Each event's rows go to one shard: a shard's busy second takes 1,000 / historyBusy of them.
  const perShard = historyBusy > 0 ? 1000 / historyBusy : Number.POSITIVE_INFINITY;
  const mainLine = mainBusy > 0 ? 1000 / mainBusy : Number.POSITIVE_INFINITY;
  const historyLine = perShard * m.shardLimits.length;
  // What D1 holds at worst: the hot window, the slot being written, and one being archived.
  const heldHours = m.hotHours + (2 * SLOT_MS) / HOUR_MS;
  const room = m.shardLimits.reduce((sum, limit) => sum + limit * FULL_SHARE, 0);
  const retentionLine = room / (m.d1BytesPerEvent * heldHours * 3600);
  // The archive: pages of ARCHIVE_PAGE rows, one object per webhook's page and per shard's page of messages.
  const eventsPerWebhook = m.deliveries / Math.max(1, m.webhooks);
  const archiveObjects = (m.webhooks * Math.ceil(eventsPerWebhook / ARCHIVE_PAGE) + Math.ceil(m.messages / ARCHIVE_PAGE) + 1) / m.deliveries;
  const payloadBytes = perEvent(m.r2BytesWritten);
  const archiveBytes = m.archive.bytes_per_event + (m.archive.bytes_per_message * m.messages) / m.deliveries;
  const retentionMonths = (m.retentionDays * 24) / HOURS_PER_MONTH;
  const usdPerMillion = {
    d1_storage: (m.d1BytesPerEvent / 1e9) * (heldHours / HOURS_PER_MONTH) * PRICES.perGbMonth.d1 * 1e6,
    r2_storage: ((payloadBytes + archiveBytes) / 1e9) * retentionMonths * PRICES.perGbMonth.r2Standard * 1e6,
    r2_class_a: (perEvent(m.r2ClassA) + archiveObjects) * PRICES.perUnit.r2ClassA * 1e6,
    r2_class_b: perEvent(m.r2ClassB) * PRICES.perUnit.r2ClassB * 1e6,
    // The archive's index: a row and its three index entries in, and the same out at retention.
    archive_index_rows: archiveObjects * 8 * PRICES.perUnit.d1RowWritten * 1e6,
  };
  return {
    d1_bytes_per_delivered_event: round(m.d1BytesPerEvent, 1),
    d1_busy_ms_per_delivered_event: { history_shards: round(historyBusy, 5), main_database: round(mainBusy, 5) },
    r2: {
      class_a_per_message: round(m.r2ClassA / m.messages, 4),
      class_b_per_message: round(m.r2ClassB / m.messages, 4),
      payload_bytes_per_delivered_event: round(payloadBytes, 1),
      archive_bytes_per_delivered_event: round(archiveBytes, 1),
      archive_objects_per_delivered_event: round(archiveObjects, 5),
    },
    capacity: {
      throughput_deliveries_per_second: {
        per_history_shard: round(perShard),
        history_shards: round(historyLine),
        main_database: round(mainLine),
        deployment: round(Math.min(historyLine, mainLine)),
      },
      retention: {
        shards: m.shardLimits.length,
        hot_hours: m.hotHours,
        held_in_d1_hours_at_most: heldHours,
        retention_days: m.retentionDays,
        sustained_deliveries_per_second: round(retentionLine),
      },
    },
    retention_usd_per_million_delivered_events: {
      total: round(Object.values(usdPerMillion).reduce((a, b) => a + b, 0), 4),
      ...Object.fromEntries(Object.entries(usdPerMillion).map(([k, v]) => [k, round(v, 5)])),
    },
  };
}
