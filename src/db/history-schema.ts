/**
 * @module The tables of each history shard (the D1 databases HISTORY_0 …
 * HISTORY_{n-1}), the single source for `migrations-history/` (drizzle-kit
 * generate --config drizzle.history.config.ts). The control plane stays in
 * the main database (src/db/schema.ts).
 *
 * History is cut into time slots (src/storage/slots.ts), and each shard
 * keeps a ring of PARTITIONS tables per kind, `events_0 …` and `messages_0 …`:
 * slot s is written to table s mod PARTITIONS. A table whose slot is older
 * than the hot window is copied to R2 and then dropped and created again
 * whole (src/storage/partitions.ts): dropping a table writes no row, where
 * deleting its rows would write (and bill) one each.
 *
 * Rows are kept compact (src/storage/codec.ts): ids as 16-byte blobs, times
 * as integer milliseconds, the message id as the 8 bytes its event id does
 * not share, statuses as small integers, the attempt log as a compact array.
 * The partition tables are `WITHOUT ROWID` (migrations-history/0001, a
 * custom migration: drizzle-kit cannot declare it), keyed by what reads walk,
 * so that a row costs one write and no index entry.
 */
import { sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Tables per kind in every shard: the ring of slots (src/storage/slots.ts). */
export const PARTITIONS = 8;

export const PARTITION_STATES = ["live", "archiving", "free"] as const;
export type PartitionState = (typeof PARTITION_STATES)[number];

/**
 * One row per table index of the ring: which slot its tables hold and in
 * what state. `live`: written to; `archiving`: being copied to R2 (writes
 * refused until it is dropped); `free` (or no row): empty, claimed by the
 * first write of a slot that maps to it. The counters are what the shard
 * holds in that slot, for GET /v1/operations/storage, without counting rows.
 */
export const partitions = sqliteTable("partitions", {
  idx: integer("idx").primaryKey(),
  slot: integer("slot"),
  state: text("state", { enum: PARTITION_STATES }).notNull(),
  /** When the slot was claimed: archive objects of a slot claimed twice never share a key. */
  generation: integer("generation").notNull().default(0),
  /** How far archiving has gone: "", then `e:<webhook>:<id>`, `m:<id>` (hex), `done`. */
  cursor: text("cursor").notNull().default(""),
  eventRows: integer("event_rows").notNull().default(0),
  messageRows: integer("message_rows").notNull().default(0),
  payloadObjects: integer("payload_objects").notNull().default(0),
  payloadBytes: integer("payload_bytes").notNull().default(0),
});

/**
 * A slot's finished events: written once per event at its outcome (again
 * after a manual retry), keyed (webhook, id) so that a webhook's page walks
 * the key newest first. Only failed events, which recover and the `failed`
 * filter look for, get an index entry of their own.
 */
function eventsPartition(i: number) {
  return sqliteTable(
    `events_${i}`,
    {
      webhook: blob("webhook").notNull(),
      id: blob("id").notNull(),
      /** The message id's last 8 bytes: its first 8 are the event id's. */
      message: blob("message").notNull(),
      type: text("type").notNull(),
      /** 0 success, 1 failed (src/storage/codec.ts): a success stores no byte for it. */
      status: integer("status").notNull(),
      attempts: integer("attempts").notNull(),
      maxAttempts: integer("max_attempts").notNull(),
      http: integer("http").notNull(),
      error: text("error").notNull(),
      /** Epoch milliseconds. */
      created: integer("created").notNull(),
      /** Milliseconds after `created`. */
      updated: integer("updated").notNull(),
      /** `[[attempt, started − created ms, duration ms, http, response excerpt, error], …]`. */
      log: text("log").notNull(),
    },
    (t) => [
      primaryKey({ columns: [t.webhook, t.id] }),
      index(`events_${i}_failed_idx`).on(t.webhook, t.id).where(sql`status = 1`),
    ],
  );
}

/** A slot's messages, written by the consumer a batch at a time; payload bytes are in R2. */
function messagesPartition(i: number) {
  return sqliteTable(`messages_${i}`, {
    id: blob("id").primaryKey(),
    application: blob("application").notNull(),
    type: text("type").notNull(),
    idempotencyKey: text("idempotency_key"),
    resourceType: text("resource_type"),
    resourceId: text("resource_id"),
    /** Milliseconds after the id's own time (0 but for a clock that moved). */
    created: integer("created").notNull(),
    /** The webhooks it went to: their 16-byte ids, one after another. */
    webhooks: blob("webhooks").notNull(),
    /** Its payload: bytes [offset, offset + length) of R2 object `payloads/{slot}/{object}`. */
    payloadObject: blob("payload_object").notNull(),
    payloadOffset: integer("payload_offset").notNull(),
    payloadLength: integer("payload_length").notNull(),
  });
}

// One export per table, as drizzle-kit finds tables among a module's exports.
export const events_0 = eventsPartition(0);
export const events_1 = eventsPartition(1);
export const events_2 = eventsPartition(2);
export const events_3 = eventsPartition(3);
export const events_4 = eventsPartition(4);
export const events_5 = eventsPartition(5);
export const events_6 = eventsPartition(6);
export const events_7 = eventsPartition(7);
export const messages_0 = messagesPartition(0);
export const messages_1 = messagesPartition(1);
export const messages_2 = messagesPartition(2);
export const messages_3 = messagesPartition(3);
export const messages_4 = messagesPartition(4);
export const messages_5 = messagesPartition(5);
export const messages_6 = messagesPartition(6);
export const messages_7 = messagesPartition(7);
