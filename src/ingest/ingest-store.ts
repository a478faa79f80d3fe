/**
 * @module The ingest object's SQLite: its tables and every statement the
 * object runs on them.
 *
 * - `outbox`: one row per accepted message, keyed by its slot (its
 *   idempotency key, or its id when it has none), the message in `body`
 *   until the consumer confirms it is recorded; a keyed row then keeps only
 *   its key, for 24 hours.
 * - `meta`: the object's name (its shard), which its alarm needs.
 *
 * Statements are synchronous: those of one turn commit together.
 */
import type { SqlRunner } from "../db/object-sql";

/** An outbox row as stored. */
type OutboxRow = { slot: string; message_id: string; body: string | null; created_at: number };

/** (slot, message_id) IN (…) is a primary-key search per pair. */
const PAIRS = "(slot, message_id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))";

export class IngestStore {
  constructor(private readonly run: SqlRunner) {
    // Keyed by slot without a rowid: one write per message in, one out.
    run(`CREATE TABLE IF NOT EXISTS outbox (
      slot TEXT PRIMARY KEY,
      message_id TEXT NOT NULL,
      body TEXT,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID`);
    run("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  readShard(): string | null {
    return this.run<{ value: string }>("SELECT value FROM meta WHERE key = 'shard'")[0]?.value ?? null;
  }

  writeShard(shard: string): void {
    this.run(
      "INSERT INTO meta (key, value) VALUES ('shard', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      shard,
    );
  }

  /** The slots whose message is not confirmed yet, with when each was accepted. */
  unconfirmedSlots(): { slot: string; created_at: number }[] {
    return this.run("SELECT slot, created_at FROM outbox WHERE body IS NOT NULL");
  }

  /**
   * Stores a message in its slot unless the slot holds one accepted after
   * `replaceBefore`; answers whether it did.
   */
  storeMessage(slot: string, messageId: string, body: string, at: number, replaceBefore: number): boolean {
    return (
      this.run(
        `INSERT INTO outbox (slot, message_id, body, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (slot) DO UPDATE SET message_id = excluded.message_id,
           body = excluded.body, created_at = excluded.created_at
         WHERE outbox.created_at <= ?
         RETURNING 1`,
        slot,
        messageId,
        body,
        at,
        replaceBefore,
      ).length > 0
    );
  }

  /** Confirmed keyed rows keep only their key: [slot, message id] pairs. */
  keepKeysOnly(pairs: [string, string][]): void {
    this.run(`UPDATE outbox SET body = NULL WHERE body IS NOT NULL AND ${PAIRS}`, JSON.stringify(pairs));
  }

  /** Confirmed rows without a key go: [slot, message id] pairs. */
  deleteRows(pairs: [string, string][]): void {
    this.run(`DELETE FROM outbox WHERE ${PAIRS}`, JSON.stringify(pairs));
  }

  /** The stored bodies of message `messageId` (unconfirmed only). */
  bodiesOf(messageId: string): string[] {
    return this.run<{ body: string }>(
      "SELECT body FROM outbox WHERE message_id = ? AND body IS NOT NULL",
      messageId,
    ).map((r) => r.body);
  }

  row(slot: string): OutboxRow | undefined {
    return this.run<OutboxRow>("SELECT * FROM outbox WHERE slot = ?", slot)[0];
  }

  /** Keys whose 24 hours ended before `before` go. */
  deleteKeysBefore(before: number): void {
    this.run("DELETE FROM outbox WHERE body IS NULL AND created_at < ?", before);
  }

  isEmpty(): boolean {
    return this.run("SELECT 1 FROM outbox LIMIT 1").length === 0;
  }
}
