/**
 * @module API key material: how a key is made, how it is stored (a SHA-256
 * hash, never the key) and how a presented key is recognised. Pure apart from
 * the random source and Web Crypto.
 */
import { randomBytes, sha256Hex, timingSafeEqual, toBase64Url } from "../lib/crypto";

const KEY_PREFIX = "hr_";
/** 32 random bytes in unpadded base64url: 43 characters. */
const KEY_PATTERN = /^hr_[A-Za-z0-9_-]{43}$/;
/** How much of a key is kept in the clear so that people can tell keys apart. */
const SHOWN_CHARACTERS = 8;

type IssuedKey = {
  /** The key itself: shown once, to whoever created it, and never stored. */
  key: string;
  hash: string;
  prefix: string;
};

/**
 * A new key, `hr_` and 32 random bytes in base64url. 256 bits of entropy make a
 * fast hash safe to store: there is no password to guess, only the key itself.
 *
 * @example
 * const { key, hash, prefix } = await issueApiKey();
 * // key "hr_Q2x…" (46 characters), prefix "hr_Q2xfN0aR"
 */
export async function issueApiKey(
  random: (length: number) => Uint8Array = randomBytes,
): Promise<IssuedKey> {
  const key = KEY_PREFIX + toBase64Url(random(32));
  return { key, hash: await hashApiKey(key), prefix: keyPrefix(key) };
}

/** What is stored and looked up: the hex SHA-256 of the whole key. */
export function hashApiKey(key: string): Promise<string> {
  return sha256Hex(key);
}

/** `hr_` and the first characters after it: enough to recognise, far too few to use. */
export function keyPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + SHOWN_CHARACTERS);
}

/** Whether a bearer token has the shape of a key, so that others cost no lookup. */
export function looksLikeApiKey(token: string): boolean {
  return KEY_PATTERN.test(token);
}

/**
 * The stored hash equals the presented key's, in constant time. The row was
 * found by its hash, so this only matters if the lookup ever stops being an
 * exact match (a prefix index, a cache); it costs nothing to keep.
 */
export function hashMatches(stored: string, presented: string): boolean {
  return timingSafeEqual(stored, presented);
}
