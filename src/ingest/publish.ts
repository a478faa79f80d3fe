/**
 * @module Publishing, the Worker's side: check the applications, then hand
 * each message to its ingest shard, which stores it; then to the queue.
 * No D1 write here, and no D1 read while the application is known to exist.
 */
import { getApplication } from "../db/queries/applications";
import { ingestObject } from "../deps";
import type { Deps } from "../deps";
import type { Message, NewMessage } from "../domain/message";
import { uuidv7 } from "../lib/ids";
import { describeError } from "../lib/log";
import { toRfc3339 } from "../lib/time";
import { sendToQueue } from "./enqueue";
import type { IngestResult } from "./ingest-do";
import { ingestShard } from "./shards";

export type PublishResult = IngestResult | { status: 404 };

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
  const applications = new Map<string, boolean>();
  for (const id of new Set(newMessages.map((p) => p.applicationId))) {
    applications.set(id, await exists(deps, id));
  }
  newMessages.forEach((p, index) => {
    if (!applications.get(p.applicationId)) {
      results[index] = { status: 404 };
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
