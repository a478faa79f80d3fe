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
