/**
 * @module The benchmark's floor Worker: the bare queue Worker plus only what
 * SPEC obliges any relay to pay per message on this runtime, each paid the
 * cheapest way. What the relay costs over this is the relay's own design;
 * what this costs over the bare Worker, no design avoids. Run by
 * bench/run.ts with `--floor`, beside the bare Worker, on the same runtime.
 *
 * - Accepted means stored (the local queue lives in memory): a publish is
 *   one SQLite row in a Durable Object, keyed by its idempotency key (a key
 *   needs one consistent home), before the 202.
 * - Every attempt is signed (Standard Webhooks, HMAC-SHA256).
 * - Every attempt is recorded: one D1 row, one D1 call per queue batch.
 *
 * Left out, which makes the floor lower than any real relay's: one object
 * per webhook (ordering, in-flight limits, rate limits, circuit breaker),
 * retries on a schedule of their own, forgetting what was delivered, the
 * message's own row, stats, and the events API.
 */
import { DurableObject, type DurableObjectState } from "cloudflare:workers";
import { deliverBatch, type MessageBatch, type QueueProducer, type Task } from "./worker-shared";

type D1Statement = { bind(...values: unknown[]): D1Statement; run(): Promise<unknown> };
type D1 = { prepare(sql: string): D1Statement; batch(statements: D1Statement[]): Promise<unknown> };
type Namespace = {
  idFromName(name: string): unknown;
  get(id: unknown): {
    accept(key: string, id: string, body: string): Promise<{ id: string; fresh: boolean }>;
  };
};

type Env = {
  QUEUE: QueueProducer<Task>;
  DB: D1;
  INGEST: Namespace;
  RECEIVER_URL: string;
  WEBHOOKS: string;
};

/** Ingest objects, as the relay has per application. */
const SHARDS = 4;
const SECRET = new TextEncoder().encode("floor-benchmark-secret-0123456789");

let signingKey: Promise<CryptoKey> | null = null;
let historyTable: Promise<unknown> | null = null;

export class FloorIngest extends DurableObject<Env> {
  private readonly sql = this.ctx.storage.sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS accepted (key TEXT PRIMARY KEY, id TEXT NOT NULL, body TEXT NOT NULL) WITHOUT ROWID",
    );
  }

  /** Stores the message unless its key has one already; answers the key's message id. */
  async accept(key: string, id: string, body: string): Promise<{ id: string; fresh: boolean }> {
    const inserted = this.sql
      .exec(
        "INSERT INTO accepted (key, id, body) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING id",
        key,
        id,
        body,
      )
      .toArray();
    if (inserted.length > 0) return { id, fresh: true };
    const [first] = this.sql.exec("SELECT id FROM accepted WHERE key = ?", key).toArray();
    return { id: String(first!.id), fresh: false };
  }
}

async function sign(id: string, timestamp: string, body: string): Promise<string> {
  signingKey ??= crypto.subtle.importKey("raw", SECRET, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = await crypto.subtle.sign(
    "HMAC",
    await signingKey,
    new TextEncoder().encode(`${id}.${timestamp}.${body}`),
  );
  return `v1,${btoa(String.fromCharCode(...new Uint8Array(mac)))}`;
}

function shardOf(key: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return String((hash >>> 0) % SHARDS);
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== "POST") return new Response(null, { status: 404 });
    const body = await request.text();
    const key = request.headers.get("idempotency-key") ?? crypto.randomUUID();
    const ingest = env.INGEST.get(env.INGEST.idFromName(shardOf(key)));
    const accepted = await ingest.accept(key, crypto.randomUUID(), body);
    if (!accepted.fresh) return Response.json({ id: accepted.id }, { status: 200 });
    const webhooks = Array.from({ length: Number(env.WEBHOOKS) }, (_, w) => w);
    await env.QUEUE.send({ id: accepted.id, body, webhooks });
    return Response.json({ id: accepted.id }, { status: 202 });
  },

  async queue(batch: MessageBatch<Task>, env: Env): Promise<void> {
    historyTable ??= env.DB.prepare(
      "CREATE TABLE IF NOT EXISTS attempts (event_id TEXT NOT NULL, message_id TEXT NOT NULL, status INTEGER NOT NULL, at INTEGER NOT NULL)",
    ).run();
    await historyTable;
    const insert = env.DB.prepare(
      "INSERT INTO attempts (event_id, message_id, status, at) VALUES (?, ?, ?, ?)",
    );
    const attempts: D1Statement[] = [];
    await deliverBatch(batch, env.QUEUE, async (task, w) => {
      const eventId = `${task.id}_${w}`;
      const timestamp = String(Math.floor(Date.now() / 1000));
      const status = await fetch(`${env.RECEIVER_URL}/hook/${w}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": eventId,
          "webhook-timestamp": timestamp,
          "webhook-signature": await sign(eventId, timestamp, task.body),
        },
        body: task.body,
      })
        .then(async (res) => {
          await res.arrayBuffer();
          return res.status;
        })
        .catch(() => 0);
      attempts.push(insert.bind(eventId, task.id, status, Date.now()));
      return status >= 200 && status <= 299;
    });
    await env.DB.batch(attempts);
    for (const message of batch.messages) message.ack();
  },
};
