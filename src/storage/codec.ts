/**
 * @module History rows as stored: the one compact encoding of an event and a
 * message, used three ways: as the JSON a write binds (`json_each`, ids
 * turned into blobs by `unhex`), as what a read selects (blobs back to hex),
 * and as a line of an archive object. Every field of the API is kept or
 * derived exactly: ids as hex (16 bytes in D1), times as integer
 * milliseconds (the RFC 3339 text the relay writes has millisecond
 * precision), the message id as the 8 bytes its event id does not share,
 * an attempt's id from its event, number and start (src/domain/event-ids.ts).
 */
import type { AttemptRecord, DeliveryStatus, EventRow } from "../domain/event";
import { attemptIdFor } from "../domain/event-ids";
import type { MessageRow } from "../domain/message";
import { toRfc3339 } from "../lib/time";
import { idTime } from "./layout";

/** A UUID's 16 bytes as 32 lowercase hex digits. */
export function hexOf(uuid: string): string {
  const hex = uuid.replaceAll("-", "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error(`not a UUID: ${uuid}`);
  return hex;
}

/** 32 hex digits (either case) as a UUID. */
export function uuidOf(hex: string): string {
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Statuses a recorded event can have, by their stored number (0 costs no byte in SQLite). */
const RECORDED_STATUSES = ["success", "failed"] as const;
export type RecordedStatus = (typeof RECORDED_STATUSES)[number];

export function statusNumber(status: DeliveryStatus): number {
  const n = RECORDED_STATUSES.indexOf(status as RecordedStatus);
  if (n < 0) throw new Error(`an event is recorded once finished, not ${status}`);
  return n;
}

export function isRecordedStatus(status: DeliveryStatus): status is RecordedStatus {
  return (RECORDED_STATUSES as readonly string[]).includes(status);
}

/** One attempt: number, start (ms after the event's creation), duration, HTTP status, response excerpt, error. */
type StoredAttempt = [number, number, number, number, string, string];

/** An event as stored: short names, as the JSON of a write and a line of the archive carry it. */
export type StoredEvent = {
  /** Webhook id, hex. */
  w: string;
  /** Event id, hex. */
  i: string;
  /** The message id's last 8 bytes, hex. */
  m: string;
  t: string;
  s: number;
  a: number;
  x: number;
  h: number;
  e: string;
  /** Created, epoch ms. */
  c: number;
  /** Updated, ms after created. */
  u: number;
  l: StoredAttempt[];
};

export function encodeEvent(row: EventRow): StoredEvent {
  const created = Date.parse(row.createdAt);
  const id = hexOf(row.id);
  const message = hexOf(row.messageId);
  if (message.slice(0, 16) !== id.slice(0, 16)) throw new Error(`event ${row.id} is not of message ${row.messageId}`);
  return {
    w: hexOf(row.webhookId),
    i: id,
    m: message.slice(16),
    t: row.type,
    s: statusNumber(row.deliveryStatus),
    a: row.deliveryAttempts,
    x: row.maxAttempts,
    h: row.httpStatusCode,
    e: row.errorMessage,
    c: created,
    u: Date.parse(row.updatedAt) - created,
    l: row.attemptLog.map((a) => [
      a.attempt,
      Date.parse(a.startedAt) - created,
      a.durationMs,
      a.httpStatusCode,
      a.responseBody,
      a.errorMessage,
    ]),
  };
}

export function decodeEvent(stored: StoredEvent): EventRow {
  const id = uuidOf(stored.i);
  return {
    webhookId: uuidOf(stored.w),
    id,
    messageId: uuidOf(stored.i.slice(0, 16) + stored.m),
    type: stored.t,
    deliveryStatus: RECORDED_STATUSES[stored.s] ?? "failed",
    deliveryAttempts: stored.a,
    maxAttempts: stored.x,
    httpStatusCode: stored.h,
    errorMessage: stored.e,
    nextAttemptAt: null,
    attemptLog: stored.l.map(([attempt, start, durationMs, httpStatusCode, responseBody, errorMessage]) => {
      const startedMs = stored.c + start;
      return {
        id: attemptIdFor(id, attempt, startedMs),
        attempt,
        startedAt: toRfc3339(startedMs),
        durationMs,
        httpStatusCode,
        responseBody,
        errorMessage,
      } satisfies AttemptRecord;
    }),
    createdAt: toRfc3339(stored.c),
    updatedAt: toRfc3339(stored.c + stored.u),
  };
}

/** Where a message's payload is: bytes [offset, offset + length) of the object `payloads/{slot}/{object}`. */
export type PayloadRef = { slot: number; object: string; offset: number; length: number };

/** A message as stored, its payload by reference. */
export type StoredMessage = {
  /** Message id, hex. */
  i: string;
  /** Application id, hex. */
  a: string;
  t: string;
  k: string | null;
  rt: string | null;
  ri: string | null;
  /** Created, ms after the id's time. */
  c: number;
  /** The webhooks' ids, hex, one after another. */
  w: string;
  /** Payload object (hex), offset and length in bytes. */
  p: string;
  o: number;
  n: number;
};

/** A message as recorded, but for its payload, which is read from R2 when asked for. */
export type MessageRecord = Omit<MessageRow, "payload"> & { payloadRef: PayloadRef };

export function encodeMessage(
  message: Omit<MessageRow, "payload">,
  payload: Omit<PayloadRef, "slot">,
): StoredMessage {
  return {
    i: hexOf(message.id),
    a: hexOf(message.applicationId),
    t: message.eventType,
    k: message.idempotencyKey,
    rt: message.resourceType,
    ri: message.resourceId,
    c: Date.parse(message.createdAt) - idTime(message.id),
    w: message.webhookIds.map(hexOf).join(""),
    p: payload.object,
    o: payload.offset,
    n: payload.length,
  };
}

/** The message a stored row describes; `slot` is the slot it was written in, where its payload object is. */
export function decodeMessage(stored: StoredMessage, slot: number): MessageRecord {
  const id = uuidOf(stored.i);
  const webhookIds: string[] = [];
  for (let at = 0; at < stored.w.length; at += 32) webhookIds.push(uuidOf(stored.w.slice(at, at + 32)));
  return {
    id,
    applicationId: uuidOf(stored.a),
    eventType: stored.t,
    idempotencyKey: stored.k,
    resourceType: stored.rt,
    resourceId: stored.ri,
    createdAt: toRfc3339(idTime(id) + stored.c),
    webhookIds,
    payloadRef: { slot, object: stored.p, offset: stored.o, length: stored.n },
  };
}
