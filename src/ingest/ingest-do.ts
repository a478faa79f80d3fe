/**
 * @module IngestDO: the accepted messages of one application shard, from the
 * 202 until the consumer has recorded them in D1, and the shard's idempotency
 * keys for 24 hours. Ingest writes nothing to D1: a message is stored here
 * (one row) and sent to the queue; the consumer writes the message rows a
 * batch at a time and then confirms them (the row goes, or keeps only its key).
 *
 * Why an object and not the queue alone: a key needs one consistent home to
 * be checked and taken atomically, and a local queue (`npm start`) lives in
 * memory, so the object is also what re-sends a message whose queue message
 * was lost. Re-sending is always safe: fan-out skips messages already
 * recorded, and an event's id derives from its message and webhook.
 */
import { DurableObject } from "cloudflare:workers";
import { meteredSql } from "../db/object-sql";
import { type Deps, makeDeps } from "../deps";
import type { Message } from "../domain/message";
import type { Env } from "../env";
import { describeError } from "../lib/log";
import { DAY_MS, HOUR_MS } from "../lib/time";
import { usage } from "../lib/usage";
import { getMessage } from "../storage/messages";
import { sendToQueue } from "./enqueue";
import { IngestStore } from "./ingest-store";

/** A message not confirmed after this long is sent to the queue again. */
export const RESEND_AFTER_MS = 60_000;
/** Idempotency keys hold this long (SPEC §4). */
const KEY_TTL_MS = DAY_MS;

export type IngestResult =
  /** Accepted now. */
  | { status: 202; message: Message }
  /** The key's first message, published within 24 hours. */
  | { status: 200; message: Message }
  /** Another publish with the same key is in progress. */
  | { status: 409 };


/** A message to store in its slot, and whether this object sends it to the queue. */
type OutboxWrite = {
  slot: string;
  message: Message;
  body: string;
  /** When it was accepted (the deps clock). */
  at: number;
  /** A key's row accepted after this is kept, and answers instead. */
  replaceBefore: number;
  send: boolean;
};

/** A keyed row's slot starts with this. */
const KEY_SLOT = "k:";

/** The row's key: the idempotency key when there is one, else the message id. */
function slotOf(message: Pick<Message, "id" | "idempotencyKey">): string {
  return message.idempotencyKey === null ? `m:${message.id}` : `${KEY_SLOT}${message.idempotencyKey}`;
}

export class IngestDO extends DurableObject<Env> {
  deps: Deps;
  private readonly store: IngestStore;
  /** Slots being sent right now: a second publish with the same key waits its turn (409). */
  private readonly sending = new Set<string>();
  /** Rows waiting for the next write, with their callers (see write). */
  private pendingWrites: {
    rows: OutboxWrite[];
    resolve: (stored: boolean[]) => void;
    reject: (error: unknown) => void;
  }[] = [];
  private writing = false;
  /** Slots stored but not yet confirmed, with when they were accepted. */
  private readonly unconfirmed = new Map<string, number>();
  private alarmArmed = false;
  /** This object's name, which the queue task carries back to it; kept for the alarm. */
  private shard: string | null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.deps = makeDeps(env);
    this.store = new IngestStore(meteredSql(ctx.storage));
    this.shard = this.store.readShard();
    for (const row of this.store.unconfirmedSlots()) this.unconfirmed.set(row.slot, row.created_at);
  }

  /**
   * Accepts messages: each is stored (one row), which is what makes it
   * accepted, and a single publish is then sent to the queue from here (a
   * batch by the caller); should a send fail, this object's alarm sends it a
   * minute later. A key seen within 24 hours answers its first message
   * instead. Answers in the order given.
   */
  async accept(shard: string, messages: Message[], sendHere = false): Promise<IngestResult[]> {
    usage.doRequests += 1;
    this.rememberShard(shard);
    const now = this.deps.now().getTime();
    const results: (IngestResult | undefined)[] = new Array(messages.length);
    /** A message whose key came earlier in this call: the index of the earlier one. */
    const sameAs = new Map<number, number>();
    const claimed: { index: number; row: OutboxWrite }[] = [];
    const slots = new Map<string, number>();
    messages.forEach((accepted, index) => {
      const slot = slotOf(accepted);
      const earlier = slots.get(slot);
      if (earlier !== undefined) {
        sameAs.set(index, earlier);
        return;
      }
      if (this.sending.has(slot)) {
        results[index] = { status: 409 };
        return;
      }
      this.sending.add(slot);
      slots.set(slot, index);
      const message = { ...accepted, shard };
      // The common case in one statement: a new slot, or a key older than 24 hours.
      claimed.push({
        index,
        row: {
          slot,
          message,
          body: JSON.stringify(message),
          at: now,
          replaceBefore: now - KEY_TTL_MS,
          send: sendHere,
        },
      });
    });
    try {
      const stored = await this.write(claimed.map((c) => c.row));
      for (const [n, { index, row }] of claimed.entries()) {
        if (stored[n]) {
          results[index] = { status: 202, message: row.message };
          continue;
        }
        const first = await this.firstWithKey(row.slot, now);
        if (first) results[index] = { status: 200, message: first };
        else {
          // Recorded, and gone from D1 since: the key starts again.
          await this.write([{ ...row, replaceBefore: Number.MAX_SAFE_INTEGER }]);
          results[index] = { status: 202, message: row.message };
        }
      }
    } finally {
      for (const { row } of claimed) this.sending.delete(row.slot);
    }
    for (const [index, earlier] of sameAs) {
      // The same key twice in one call: the second gets the first's message
      // (the first was claimed, so it was answered 202 or 200).
      const { message } = results[earlier] as { message: Message };
      results[index] = { status: 200, message };
    }
    return results as IngestResult[];
  }

  /**
   * Stores rows in this object's next write, and sends on those marked to
   * be sent. Everything that arrives while a send is out waits for the next
   * write, so under load one commit (one fsync of the object's database)
   * and one queue message carry many messages, and alone a message is
   * written at once. A 202 waits for its row's commit (the output gate),
   * never for the queue; a failed send is left to the alarm. Answers, per
   * row, whether it was stored (a key held younger than `replaceBefore` is not).
   */
  private write(rows: OutboxWrite[]): Promise<boolean[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.pendingWrites.push({ rows, resolve, reject });
      if (!this.writing) void this.writeWhilePending();
    });
  }

  private async writeWhilePending(): Promise<void> {
    this.writing = true;
    try {
      while (this.pendingWrites.length > 0) {
        const waiting = this.pendingWrites.splice(0);
        const outgoing: Message[] = [];
        const answers = waiting.map(({ rows }) => {
          try {
            return rows.map((row) => {
              const { slot, message, body, at, replaceBefore } = row;
              const stored = this.store.storeMessage(slot, message.id, body, at, replaceBefore);
              if (stored) {
                this.unconfirmed.set(slot, at);
                if (row.send) outgoing.push(message);
              }
              return stored;
            });
          } catch (error) {
            return error instanceof Error ? error : new Error(String(error));
          }
        });
        try {
          await this.armAlarm(Date.now() + RESEND_AFTER_MS);
          waiting.forEach((w, i) => {
            const answer = answers[i]!;
            if (answer instanceof Error) w.reject(answer);
            else w.resolve(answer);
          });
        } catch (error) {
          for (const w of waiting) w.reject(error);
        }
        if (outgoing.length > 0) {
          await sendToQueue(this.deps.queue, outgoing).catch((error) => {
            this.deps.log("warn", "enqueue failed; the alarm sends again", {
              count: outgoing.length,
              ...describeError(error),
            });
          });
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * The consumer recorded these messages in D1: they are not sent again. A
   * keyed row keeps only its key (for the 24 hours), any other row goes, in
   * this call's own transaction (two statements for all of them), before it
   * answers. Never left for a timer or a later accept: a busy object runs its
   * timers late (scripts/patch-miniflare.mjs), and an object that restarted
   * with confirmations unwritten would send whole backlogs to the queue again.
   */
  async confirm(messages: { id: string; idempotencyKey: string | null }[]): Promise<void> {
    usage.doRequests += 1;
    const keyed: [string, string][] = [];
    const plain: [string, string][] = [];
    for (const m of messages) {
      const slot = slotOf(m);
      (slot.startsWith(KEY_SLOT) ? keyed : plain).push([slot, m.id]);
      this.unconfirmed.delete(slot);
    }
    if (keyed.length > 0) this.store.keepKeysOnly(keyed);
    if (plain.length > 0) this.store.deleteRows(plain);
  }

  /** The payloads of messages that travelled by reference. */
  async payloads(ids: string[]): Promise<Record<string, string>> {
    usage.doRequests += 1;
    const found: Record<string, string> = {};
    for (const id of ids) {
      for (const body of this.store.bodiesOf(id)) found[id] = (JSON.parse(body) as Message).payload;
    }
    return found;
  }

  /**
   * How many accepted messages the consumer has not confirmed yet; 0: every
   * one is recorded in D1 and in its webhooks' objects (tests wait on it).
   */
  unconfirmedCount(): number {
    return this.unconfirmed.size;
  }

  /** After a restart (a local queue starts empty): send every unconfirmed message again. */
  async resume(shard: string): Promise<number> {
    usage.doRequests += 1;
    this.rememberShard(shard);
    return this.resend(shard, Number.POSITIVE_INFINITY);
  }

  override async alarm(): Promise<void> {
    usage.doRequests += 1;
    this.alarmArmed = false;
    const now = this.deps.now().getTime();
    if (this.shard) await this.resend(this.shard, now - RESEND_AFTER_MS);
    this.store.deleteKeysBefore(now - KEY_TTL_MS);
    // The alarm runs on the real clock; `now` may be a test's.
    if (this.unconfirmed.size > 0) await this.armAlarm(Date.now() + RESEND_AFTER_MS);
    else if (!this.store.isEmpty()) await this.armAlarm(Date.now() + HOUR_MS);
  }

  /** Sends unconfirmed messages accepted before `before` to the queue again. */
  private async resend(shard: string, before: number): Promise<number> {
    const slots = [...this.unconfirmed].filter(([, at]) => at < before).map(([slot]) => slot);
    const messages: Message[] = [];
    for (const slot of slots) {
      const row = this.store.row(slot);
      if (row?.body) messages.push(JSON.parse(row.body) as Message);
      else this.unconfirmed.delete(slot);
    }
    if (messages.length > 0) {
      await sendToQueue(this.deps.queue, messages, true);
      // Counted from now: a backlog longer than a minute is not re-sent every minute.
      const now = this.deps.now().getTime();
      for (const m of messages) this.unconfirmed.set(slotOf(m), now);
      this.deps.log("warn", "re-sent unconfirmed messages", { shard, count: messages.length });
    }
    return messages.length;
  }

  /** The key's first message if it is younger than 24 hours. */
  private async firstWithKey(slot: string, now: number): Promise<Message | null> {
    const row = this.store.row(slot);
    if (!row || row.created_at <= now - KEY_TTL_MS) return null;
    if (row.body) return JSON.parse(row.body) as Message;
    // Recorded already: the history has it.
    const recorded = await getMessage(this.deps.history, row.message_id);
    if (!recorded) return null;
    const { webhookIds: _webhookIds, ...message } = recorded;
    return { ...message, requestId: "", shard: "" };
  }

  private rememberShard(shard: string): void {
    if (this.shard === shard) return;
    this.shard = shard;
    this.store.writeShard(shard);
  }

  private async armAlarm(at: number): Promise<void> {
    if (this.alarmArmed) return;
    this.alarmArmed = true;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

}

