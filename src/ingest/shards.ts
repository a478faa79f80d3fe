/**
 * @module Which ingest object holds a message. Each application has a few,
 * so that one busy application is not one object's throughput; a message with
 * an idempotency key always goes to the same one, the key's consistent home.
 */
import { fnv1a } from "../lib/hash";

/** Ingest objects per application. */
export const INGEST_SHARDS = 4;

/** The object's name: the application and a shard number. */
export function ingestShard(applicationId: string, key: string | null, messageId: string): string {
  return `${applicationId}/${fnv1a(key ?? messageId) % INGEST_SHARDS}`;
}

export function allIngestShards(applicationId: string): string[] {
  return Array.from({ length: INGEST_SHARDS }, (_, i) => `${applicationId}/${i}`);
}

