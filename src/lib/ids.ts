/** @module UUIDv7 ids: time-ordered, so "newest first" is "largest id first". */
import { HEX_BYTE, toHex } from "./crypto";

/**
 * Random bytes drawn 4 KiB at a time: a call into the runtime's CSPRNG costs
 * more than the id it feeds, and an API request makes two or three ids.
 */
const POOL_SIZE = 4096;
let pool = new Uint8Array(0);
let poolAt = 0;

function randomBytes10(): Uint8Array {
  if (poolAt + 10 > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(POOL_SIZE));
    poolAt = 0;
  }
  poolAt += 10;
  return pool.subarray(poolAt - 10, poolAt);
}

let lastMs = 0;
let sequence = 0;

/**
 * A UUIDv7 (RFC 9562). Within one millisecond a 12-bit counter in `rand_a`
 * keeps ids from one isolate strictly increasing, so cursors never skip a row
 * created in the same millisecond.
 */
export function uuidv7(now: number = Date.now()): string {
  const random = randomBytes10();
  if (now <= lastMs) {
    sequence = (sequence + 1) & 0xfff;
    if (sequence === 0) lastMs += 1;
    now = lastMs;
  } else {
    lastMs = now;
    sequence = ((random[8]! << 8) | random[9]!) & 0x7ff;
  }
  // Hex by table and the 48-bit time by toString: the bytes-and-BigInt form
  // cost more than the rest of an API request's id handling.
  const ms = now.toString(16).padStart(12, "0");
  const seq = sequence.toString(16).padStart(3, "0");
  const variant = `${HEX_BYTE[0x80 | (random[0]! & 0x3f)]}${HEX_BYTE[random[1]!]}`;
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${seq}-${variant}-${toHex(random.subarray(2, 8))}`;
}

/** The smallest UUIDv7 of millisecond `ms`: every id made before it sorts lower. */
export function uuidv7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}
