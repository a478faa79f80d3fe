/**
 * @module Payload bytes in R2: the payloads of a consumer batch's messages
 * in one object, `payloads/{slot}/{object}`, one after another as UTF-8;
 * each message's row keeps its object, offset and length
 * (src/storage/codec.ts). One write per batch rather than per message, and
 * reads by range. Retention removes a slot's objects by their prefix.
 */
import { toHex } from "../lib/crypto";
import type { PayloadRef } from "./codec";
import type { HistoryStore } from "./store";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const PAYLOADS_PREFIX = "payloads/";

export function payloadKey(slot: number, object: string): string {
  return `${PAYLOADS_PREFIX}${slot}/${object}`;
}

/** Writes the payloads as one object of `slot`; returns where each is, and the object's size. */
export async function putPayloads(
  store: HistoryStore,
  slot: number,
  payloads: string[],
): Promise<{ refs: Omit<PayloadRef, "slot">[]; bytes: number }> {
  const parts = payloads.map((p) => encoder.encode(p));
  const bytes = parts.reduce((n, p) => n + p.byteLength, 0);
  const body = new Uint8Array(bytes);
  const object = toHex(crypto.getRandomValues(new Uint8Array(16)));
  const refs: Omit<PayloadRef, "slot">[] = [];
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    refs.push({ object, offset, length: part.byteLength });
    offset += part.byteLength;
  }
  await store.bucket.put(payloadKey(slot, object), body);
  return { refs, bytes };
}

/**
 * The payloads these references point to, in their order: one ranged read
 * per object, covering the parts asked for. A missing object (retention
 * removed it) is an error: callers read only what their rows still name.
 */
export async function readPayloads(store: HistoryStore, refs: PayloadRef[]): Promise<string[]> {
  const byObject = new Map<string, PayloadRef[]>();
  for (const ref of refs) {
    const key = payloadKey(ref.slot, ref.object);
    byObject.set(key, [...(byObject.get(key) ?? []), ref]);
  }
  const texts = new Map<PayloadRef, string>();
  await Promise.all(
    [...byObject].map(async ([key, parts]) => {
      const from = Math.min(...parts.map((p) => p.offset));
      const to = Math.max(...parts.map((p) => p.offset + p.length));
      const object = await store.bucket.get(key, { range: { offset: from, length: to - from } });
      if (!object) throw new Error(`payload object ${key} is missing`);
      const bytes = new Uint8Array(await object.arrayBuffer());
      for (const part of parts) {
        texts.set(part, decoder.decode(bytes.subarray(part.offset - from, part.offset - from + part.length)));
      }
    }),
  );
  return refs.map((ref) => texts.get(ref)!);
}
