/**
 * @module Publishing, the Worker's side: check the applications, and that
 * their history can be kept (src/storage/health.ts: a publish whose history
 * shard is full or failing is refused with 503 before it is accepted), then
 * hand each message to its ingest shard, which stores it; then to the queue.
 * No D1 write here, and no D1 read while the application is known to exist
 * and its shard's health is fresh.
 */
import { getApplication } from "../db/queries/applications";
import { ingestObject } from "../deps";
import type { Deps } from "../deps";
import type { Message, NewMessage } from "../domain/message";
import { uuidv7 } from "../lib/ids";
import { describeError } from "../lib/log";
import { toRfc3339 } from "../lib/time";
import { applicationRefusal, type HistoryUnavailableError } from "../storage/health";
import { sendToQueue } from "./enqueue";
import type { IngestResult } from "./ingest-do";
import { ingestShard } from "./shards";

export type PublishResult = IngestResult | { status: 404 } | { status: 503; refusal: HistoryUnavailableError };

/**
 * How long this isolate trusts that an application exists. Deleting one
 * forgets it here at once; another isolate may accept messages for it for
 * this long, which fan-out then drops (it records nothing for a deleted
 * application). Only existence is cached, never absence.
 */
const KNOWN_FOR_MS = 60_000;
const known = new Map<string, number>();

export function forgetApplication(id: string): void {
  known.delete(id);
}

async function exists(deps: Deps, applicationId: string): Promise<boolean> {
  const until = known.get(applicationId);
  if (until !== undefined && until > Date.now()) return true;
  const found = await getApplication(deps.db, applicationId);
  if (found) known.set(applicationId, Date.now() + KNOWN_FOR_MS);
  return found !== undefined;
}

/** Publishes messages, one ingest call per shard involved; answers in the order given. */
export async function publish(deps: Deps, newMessages: NewMessage[]): Promise<PublishResult[]> {
  const now = deps.now();
  const results: PublishResult[] = new Array(newMessages.length);
  const byShard = new Map<string, { index: number; message: Message }[]>();
  const applications = new Map<string, PublishResult | null>();
  for (const id of new Set(newMessages.map((p) => p.applicationId))) {
    if (!(await exists(deps, id))) applications.set(id, { status: 404 });
    else {
      const refusal = await applicationRefusal(deps.history, id);
      applications.set(id, refusal ? { status: 503, refusal } : null);
    }
  }
  newMessages.forEach((p, index) => {
    const refused = applications.get(p.applicationId);
    if (refused) {
      results[index] = refused;
      return;
    }
    const message: Message = {
      id: uuidv7(now.getTime()),
      applicationId: p.applicationId,
      eventType: p.eventType,
      payload: p.payload,
      idempotencyKey: p.idempotencyKey,
      resourceType: p.resource?.type ?? null,
      resourceId: p.resource?.id ?? null,
      createdAt: toRfc3339(now),
      requestId: deps.requestId,
      shard: "",
    };
    const shard = ingestShard(p.applicationId, p.idempotencyKey, message.id);
    const list = byShard.get(shard) ?? [];
    list.push({ index, message });
    byShard.set(shard, list);
  });
  // A single message is sent on by its shard, with whatever else the shard
  // took meanwhile; a batch already is one, and goes out in one send from here.
  const shardSends = newMessages.length === 1;
  await Promise.all(
    [...byShard].map(async ([shard, list]) => {
      const answers = await ingestObject(deps, shard).accept(
        shard,
        list.map((l) => l.message),
        shardSends,
      );
      list.forEach((l, i) => {
        results[l.index] = answers[i]!;
      });
    }),
  );
  // Accepted: held by their shards. One queue send for all of them; if it
  // fails, each shard's alarm sends its own a minute later.
  const accepted = results.flatMap((r) => (r.status === 202 ? [r.message] : []));
  if (accepted.length > 0 && !shardSends) {
    await sendToQueue(deps.queue, accepted).catch((error) => {
      deps.log("warn", "enqueue failed; the ingest objects will send again", {
        count: accepted.length,
        ...describeError(error),
      });
    });
  }
  return results;
}
