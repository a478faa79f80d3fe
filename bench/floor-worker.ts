/**
 * @module The benchmark's floor Worker: the bare queue Worker plus only what
 * SPEC obliges any relay to pay per message on this runtime, each paid the
 * cheapest way we know. What the relay costs over this is the relay's own
 * design; what this costs over the bare Worker, no design avoids. Run by
 * bench/run.ts with `--floor`, beside the bare Worker, on the same runtime.
 *
 * - Accepted means stored (the local queue lives in memory): a publish is
 *   one SQLite row in a Durable Object, keyed by its idempotency key (a key
 *   needs one consistent home), before the 202. The object writes whatever
 *   arrives while its previous commit is out in one transaction, as the
 *   relay's ingest shards do, so under load one commit carries many.
 * - SPEC's fixed shape: a Durable Object per webhook makes that webhook's
 *   attempts, handed its events in one RPC per queue batch. It stores
 *   nothing: the queue message, acked only when its attempts are over,
 *   holds the events meanwhile.
 * - Every attempt is signed (Standard Webhooks, HMAC-SHA256).
 * - Every attempt is recorded: one D1 statement per queue batch.
 *
 * Left out, which makes the floor lower than any real relay's: what the
 * webhook's object decides (ordering, in-flight limits, rate limits, circuit
 * breaker), retries on a schedule of their own, forgetting what was
 * delivered, the message's own row, stats, the events API, auth and
 * validation.
 */
import { DurableObject, type DurableObjectState } from "cloudflare:workers";
import { deliverBatch, type MessageBatch, type QueueProducer, type Task } from "./worker-shared";

type D1Statement = { bind(...values: unknown[]): D1Statement; run(): Promise<unknown> };
type D1 = { prepare(sql: string): D1Statement };
type Namespace<T> = { idFromName(name: string): unknown; get(id: unknown): T };

type Accepted = { id: string; fresh: boolean };
type Outcome = { eventId: string; status: number };

type Env = {
  QUEUE: QueueProducer<Task>;
  DB: D1;
  INGEST: Namespace<{ accept(key: string, id: string, body: string): Promise<Accepted> }>;
  WEBHOOK: Namespace<{ deliver(webhook: number, tasks: Task[]): Promise<Outcome[]> }>;
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
  private pending: { key: string; id: string; body: string; done: (a: Accepted) => void }[] = [];
  private writing = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS accepted (key TEXT PRIMARY KEY, id TEXT NOT NULL, body TEXT NOT NULL) WITHOUT ROWID",
    );
  }

  /** Stores the message unless its key has one already; answers the key's message id. */
  accept(key: string, id: string, body: string): Promise<Accepted> {
    const accepted = new Promise<Accepted>((done) => this.pending.push({ key, id, body, done }));
    if (!this.writing) void this.writeWhilePending();
    return accepted;
  }

  /**
   * One transaction for everything pending, then wait for its commit while
   * the next ones gather. Each answer leaves once its row is committed (the
   * output gate), whenever it was resolved.
   */
  private async writeWhilePending(): Promise<void> {
    this.writing = true;
    while (this.pending.length > 0) {
      for (const { key, id, body, done } of this.pending.splice(0)) done(this.store(key, id, body));
      await this.ctx.storage.sync();
    }
    this.writing = false;
  }

  private store(key: string, id: string, body: string): Accepted {
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

/** One webhook's attempts: signed and sent, all at once; their outcomes answered. */
export class FloorWebhook extends DurableObject<Env> {
  deliver(webhook: number, tasks: Task[]): Promise<Outcome[]> {
    return Promise.all(
      tasks.map(async (task) => {
        const eventId = `${task.id}_${webhook}`;
        const timestamp = String(Math.floor(Date.now() / 1000));
        const status = await fetch(`${this.env.RECEIVER_URL}/hook/${webhook}`, {
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
        return { eventId, status };
      }),
    );
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

/**
 * Hands `deliverBatch`'s attempts to their webhooks' objects: the attempts
 * it asks for in one turn go as one RPC per webhook, in the next microtask.
 */
function attemptsByWebhook(env: Env, record: (task: Task, outcome: Outcome) => void) {
  const calls = new Map<number, { task: Task; done: (ok: boolean) => void }[]>();
  return (task: Task, webhook: number): Promise<boolean> => {
    if (calls.size === 0) {
      queueMicrotask(() => {
        for (const [w, waiting] of calls) {
          const object = env.WEBHOOK.get(env.WEBHOOK.idFromName(String(w)));
          object.deliver(w, waiting.map((c) => c.task)).then(
            (outcomes) =>
              outcomes.forEach((outcome, i) => {
                record(waiting[i]!.task, outcome);
                waiting[i]!.done(outcome.status >= 200 && outcome.status <= 299);
              }),
            () => waiting.forEach((c) => c.done(false)),
          );
        }
        calls.clear();
      });
    }
    return new Promise((done) => {
      const waiting = calls.get(webhook) ?? [];
      waiting.push({ task, done });
      calls.set(webhook, waiting);
    });
  };
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
    const attempts: [string, string, number, number][] = [];
    await deliverBatch(
      batch,
      env.QUEUE,
      attemptsByWebhook(env, (task, { eventId, status }) =>
        attempts.push([eventId, task.id, status, Date.now()]),
      ),
    );
    await env.DB.prepare(
      "INSERT INTO attempts (event_id, message_id, status, at) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)",
    )
      .bind(JSON.stringify(attempts))
      .run();
    for (const message of batch.messages) message.ack();
  },
};
