/**
 * @module Which ingest object holds a message. Each application has a few,
 * so that one busy application is not one object's throughput; a message with
 * an idempotency key always goes to the same one, the key's consistent home.
 */

/** Ingest objects per application. */
export const INGEST_SHARDS = 4;

/** The object's name: the application and a shard number. */
export function ingestShard(applicationId: string, key: string | null, messageId: string): string {
  return `${applicationId}/${fnv1a(key ?? messageId) % INGEST_SHARDS}`;
}

export function allIngestShards(applicationId: string): string[] {
  return Array.from({ length: INGEST_SHARDS }, (_, i) => `${applicationId}/${i}`);
}

/** 32-bit FNV-1a: spreads keys evenly, needs no crypto. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
