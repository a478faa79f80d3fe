/**
 * @module Message rows: recorded by the consumer a batch at a time (their
 * payloads in one R2 object, src/storage/payloads.ts; their rows in the
 * current slot's partition of each application's shard), read by id from
 * the live partitions and then the archive. A message is written once
 * (recorded again, it is left as it was), so any copy found is the message.
 */
import { messageIdRange } from "../domain/event-ids";
import type { MessageRow } from "../domain/message";
import { type ArchivedObject, messageObjects, readLines } from "./archive";
import { decodeMessage, encodeMessage, hexOf, type MessageRecord, type StoredMessage } from "./codec";
import { ALL_PARTITIONS, partitionRead, readShard, type SelectedMessage, writeRows } from "./partitions";
import { putPayloads, readPayloads } from "./payloads";
import { partitionOf, slotOf } from "./layout";
import { type HistoryShard, type HistoryStore, shardOf, shardsOfApplication } from "./store";

/**
 * Records messages: their payloads in one object, their rows in their
 * applications' shards. Answers the ids recorded; a shard that refused
 * (full, failing) leaves its messages out, with the reason, to be recorded
 * when their task comes again.
 */
export async function recordMessages(
  store: HistoryStore,
  messages: MessageRow[],
): Promise<{ recorded: Set<string>; refused: unknown[] }> {
  const recorded = new Set<string>();
  if (messages.length === 0) return { recorded, refused: [] };
  const slot = slotOf(store.clock());
  const { refs } = await putPayloads(
    store,
    slot,
    messages.map((m) => m.payload),
  );
  const byShard = new Map<HistoryShard, { stored: StoredMessage[]; ids: string[]; bytes: number }>();
  messages.forEach(({ payload: _payload, ...message }, i) => {
    const shard = shardOf(store, message.applicationId, slot);
    const group = byShard.get(shard) ?? { stored: [], ids: [], bytes: 0 };
    group.stored.push(encodeMessage(message, refs[i]!));
    group.ids.push(message.id);
    group.bytes += refs[i]!.length;
    byShard.set(shard, group);
  });
  const outcomes = await Promise.allSettled(
    [...byShard].map(async ([shard, group], n) => {
      // The object is counted once, by the first shard that holds a part of it.
      await writeRows(shard, slot, "messages", group.stored, { objects: n === 0 ? 1 : 0, bytes: group.bytes });
      for (const id of group.ids) recorded.add(id);
    }),
  );
  return { recorded, refused: outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason] : [])) };
}

/** The live partitions' messages that `where` selects, from `shards` (each with the slots to look at, or all). */
async function fromPartitions(
  shards: Map<HistoryShard, number[] | null>,
  where: string,
  binds: unknown[],
): Promise<MessageRecord[]> {
  const found: MessageRecord[] = [];
  await Promise.all(
    [...shards].map(async ([shard, slots]) => {
      const partitions = slots ? [...new Set(slots.map(partitionOf))] : ALL_PARTITIONS;
      const pages = await readShard<SelectedMessage>(
        shard,
        partitions.map((idx) => partitionRead(shard.d1, "messages", idx, null, where, "", binds)),
      );
      for (const row of pages.flat()) {
        const { ps, ...stored } = row;
        found.push(decodeMessage(stored, ps));
      }
    }),
  );
  return found;
}

/** The archived messages of these objects that `keep` wants. */
async function fromObjects(
  store: HistoryStore,
  objects: ArchivedObject[],
  keep: (m: StoredMessage) => boolean,
): Promise<MessageRecord[]> {
  const found = await Promise.all(
    objects.map(async (o) => (await readLines<StoredMessage>(store, o.key)).filter(keep).map((m) => decodeMessage(m, o.slot))),
  );
  return found.flat();
}

/** Where an application's messages may be; every shard when the application is not known. */
function shardsToRead(store: HistoryStore, applicationId: string | undefined): Map<HistoryShard, number[] | null> {
  if (applicationId === undefined) return new Map(store.shards.map((s) => [s, null]));
  return shardsOfApplication(store, applicationId);
}

/** These messages as recorded, payloads left in R2, in no particular order; those not recorded are absent. */
export async function findMessages(
  store: HistoryStore,
  ids: string[],
  applicationId?: string,
): Promise<MessageRecord[]> {
  if (ids.length === 0) return [];
  const hot = await fromPartitions(shardsToRead(store, applicationId), "r.id IN (SELECT unhex(value) FROM json_each(?))", [
    JSON.stringify(ids.map(hexOf)),
  ]);
  const byId = new Map(hot.map((m) => [m.id, m]));
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length > 0) {
    const wanted = new Set(missing.map(hexOf));
    const objects = await messageObjects(store, missing.map((id) => ({ from: id, to: id })));
    for (const m of await fromObjects(store, objects, (s) => wanted.has(s.i))) byId.set(m.id, m);
  }
  return [...byId.values()].filter((m) => applicationId === undefined || m.applicationId === applicationId);
}

/** The messages with their payloads, read from R2. */
export async function withPayloads(store: HistoryStore, records: MessageRecord[]): Promise<MessageRow[]> {
  const payloads = await readPayloads(
    store,
    records.map((r) => r.payloadRef),
  );
  return records.map(({ payloadRef: _ref, ...record }, i) => ({ ...record, payload: payloads[i]! }));
}

/** The message, payload and all, if recorded (and of `applicationId`, when given). */
export async function getMessage(store: HistoryStore, id: string, applicationId?: string): Promise<MessageRow | null> {
  const [found] = await findMessages(store, [id], applicationId);
  if (!found) return null;
  const [message] = await withPayloads(store, [found]);
  return message ?? null;
}

/** The messages that share an event id's first 8 bytes (time and sequence): the candidates for its message. */
export async function messagesSharingPrefix(store: HistoryStore, eventId: string): Promise<MessageRecord[]> {
  const range = messageIdRange(eventId);
  const prefix = hexOf(range.from).slice(0, 16);
  const hot = await fromPartitions(shardsToRead(store, undefined), "r.id BETWEEN unhex(?) AND unhex(?)", [
    hexOf(range.from),
    hexOf(range.to),
  ]);
  const archived = await fromObjects(store, await messageObjects(store, [range]), (m) => m.i.startsWith(prefix));
  return [...new Map([...hot, ...archived].map((m) => [m.id, m])).values()];
}
