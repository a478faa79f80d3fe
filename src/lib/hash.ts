/** @module A fast non-cryptographic hash, for spreading keys and naming things stably. */

/** 32-bit FNV-1a of `text` (from `seed`, the standard offset basis by default): even spread, no crypto. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Which of `n` buckets `text` falls in, evenly: FNV-1a, its bits mixed by
 * MurmurHash3's finalizer first, since FNV-1a's low bits follow the input's
 * low bits (two keys that differ by one in their last digit always differ
 * in the hash's lowest bit).
 */
export function bucketOf(text: string, n: number): number {
  let h = fnv1a(text);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % n;
}
