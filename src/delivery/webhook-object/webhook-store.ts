/**
 * @module The webhook object's SQLite: its tables and every statement the
 * object runs on them.
 *
 * - `meta`: the webhook's id and its circuit.
 * - `inbox`: one row per hand-over, however many events it carries, and the
 *   ids of those among them that are settled: recorded in D1, or moved to a
 *   row of their own. The row goes once every event in it is settled.
 * - `waiting`: one row per event that needs more than one attempt (a retry,
 *   a manual re-send), keyed by event id, its state and attempts in the row.
 * - `operational`: operational events not yet published (../operational-events/operational-outbox.ts).
 * - `stats`: one row per hour of attempts, for the stats (../history/stats-buffer.ts).
 *
 * Statements are synchronous: those of one turn commit together.
 */
import type { SqlRunner } from "../../db/object-sql";
import type { Event } from "../../domain/event";
import type { HourStats } from "../history/stats";
import type { StatsStore } from "../history/stats-buffer";
import type { OutboxStore } from "../operational-events/operational-outbox";

/** An inbox row as stored: its events, and the ids of those settled. */
export type InboxRow = { items: Event[]; settled: string[] };

/** The rows a query about many ids takes them in: one JSON parameter. */
const IDS = "(SELECT value FROM json_each(?))";

export class WebhookStore implements StatsStore, OutboxStore {
  constructor(private readonly run: SqlRunner) {
    run("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    run(
      "CREATE TABLE IF NOT EXISTS inbox (seq INTEGER PRIMARY KEY, items TEXT NOT NULL, settled TEXT NOT NULL DEFAULT '[]')",
    );
    run("CREATE TABLE IF NOT EXISTS waiting (event_id TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID");
    run("CREATE TABLE IF NOT EXISTS operational (key TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID");
    run(`CREATE TABLE IF NOT EXISTS stats (
      hour INTEGER PRIMARY KEY,
      attempts INTEGER NOT NULL,
      succeeded INTEGER NOT NULL,
      failed INTEGER NOT NULL,
      histogram TEXT NOT NULL
    )`);
  }

  readMeta<T>(key: string): T | null {
    const rows = this.run<{ value: string }>("SELECT value FROM meta WHERE key = ?", key);
    return rows[0] ? (JSON.parse(rows[0].value) as T) : null;
  }

  writeMeta(key: string, value: unknown): void {
    this.run(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      JSON.stringify(value),
    );
  }

  inboxSeqs(): number[] {
    return this.run<{ seq: number }>("SELECT seq FROM inbox ORDER BY seq").map((r) => r.seq);
  }

  /** Stores a hand-over (a JSON array of events); answers its row's sequence number. */
  insertInbox(itemsJson: string): number {
    return this.run<{ seq: number }>("INSERT INTO inbox (items) VALUES (?) RETURNING seq", itemsJson)[0]!.seq;
  }

  readInbox(seq: number): InboxRow | null {
    const row = this.run<{ items: string; settled: string }>(
      "SELECT items, settled FROM inbox WHERE seq = ?",
      seq,
    )[0];
    return row ? { items: JSON.parse(row.items) as Event[], settled: JSON.parse(row.settled) as string[] } : null;
  }

  /** Records which of the row's events are settled: one row written, however many. */
  markInbox(seq: number, settled: string[]): void {
    this.run("UPDATE inbox SET settled = ? WHERE seq = ?", JSON.stringify(settled), seq);
  }

  deleteInbox(seq: number): void {
    this.run("DELETE FROM inbox WHERE seq = ?", seq);
  }

  /** Which of `ids` the inbox rows `seqs` hold unsettled (a scan of those rows: the rare path). */
  inboxHolding(seqs: number[], ids: string[]): string[] {
    return this.run<{ id: string }>(
      `SELECT item.value ->> 'eventId' AS id FROM inbox, json_each(inbox.items) AS item
       WHERE inbox.seq IN ${IDS} AND (item.value ->> 'eventId') IN ${IDS}
         AND (item.value ->> 'eventId') NOT IN (SELECT value FROM json_each(inbox.settled))`,
      JSON.stringify(seqs),
      JSON.stringify(ids),
    ).map((r) => r.id);
  }

  writeWaiting(eventId: string, state: string): void {
    this.run(
      "INSERT INTO waiting (event_id, state) VALUES (?, ?) ON CONFLICT (event_id) DO UPDATE SET state = excluded.state",
      eventId,
      state,
    );
  }

  deleteWaiting(eventId: string): void {
    this.run("DELETE FROM waiting WHERE event_id = ?", eventId);
  }

  /** The waiting rows after `after`, by event id. */
  waitingPage(after: string, limit: number): { event_id: string; state: string }[] {
    return this.run(
      "SELECT event_id, state FROM waiting WHERE event_id > ? ORDER BY event_id LIMIT ?",
      after,
      limit,
    );
  }

  /** Which of `ids` have a waiting row. */
  waitingHolding(ids: string[]): string[] {
    return this.run<{ event_id: string }>(
      `SELECT event_id FROM waiting WHERE event_id IN ${IDS}`,
      JSON.stringify(ids),
    ).map((r) => r.event_id);
  }

  /** Every event held: the webhook was deleted. */
  clearEvents(): void {
    this.run("DELETE FROM inbox");
    this.run("DELETE FROM waiting");
  }

  operationalCount(): number {
    return this.run<{ n: number }>("SELECT count(*) AS n FROM operational")[0]?.n ?? 0;
  }

  /** Keeps an operational event; answers false when one with its key is kept already. */
  insertOperational(key: string, body: string): boolean {
    return (
      this.run(
        "INSERT INTO operational (key, body) VALUES (?, ?) ON CONFLICT (key) DO NOTHING RETURNING key",
        key,
        body,
      ).length > 0
    );
  }

  operationalBodies(): string[] {
    return this.run<{ body: string }>("SELECT body FROM operational").map((r) => r.body);
  }

  deleteOperational(key: string): void {
    this.run("DELETE FROM operational WHERE key = ?", key);
  }

  statsHistogram(hour: number): number[] | null {
    const row = this.run<{ histogram: string }>("SELECT histogram FROM stats WHERE hour = ?", hour)[0];
    return row ? (JSON.parse(row.histogram) as number[]) : null;
  }

  addStats(hour: number, add: Omit<HourStats, "histogram">, histogram: number[]): void {
    this.run(
      `INSERT INTO stats (hour, attempts, succeeded, failed, histogram) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (hour) DO UPDATE SET attempts = attempts + excluded.attempts,
         succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed,
         histogram = excluded.histogram`,
      hour,
      add.attempts,
      add.succeeded,
      add.failed,
      JSON.stringify(histogram),
    );
  }

  deleteStatsBefore(hour: number): void {
    this.run("DELETE FROM stats WHERE hour < ?", hour);
  }

  clearStats(): void {
    this.run("DELETE FROM stats");
  }

  statsAfter(hour: number): [number, HourStats][] {
    return this.run<{ hour: number; attempts: number; succeeded: number; failed: number; histogram: string }>(
      "SELECT hour, attempts, succeeded, failed, histogram FROM stats WHERE hour > ?",
      hour,
    ).map(({ hour, histogram, ...counts }) => [hour, { ...counts, histogram: JSON.parse(histogram) as number[] }]);
  }
}
