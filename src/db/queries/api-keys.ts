/** @module API key rows: plain functions taking the db first, no HTTP. */
import { and, desc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { type ApiKeyRow, apiKeys } from "../schema";

type NewApiKey = typeof apiKeys.$inferInsert;

export async function insertApiKey(db: Db, row: NewApiKey): Promise<ApiKeyRow> {
  const [created] = await db.insert(apiKeys).values(row).returning();
  return created!;
}

/** A key or portal link, when it is of that kind. */
export async function getApiKeyOfKind(
  db: Db,
  id: string,
  kind: ApiKeyRow["kind"],
): Promise<ApiKeyRow | undefined> {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, id), eq(apiKeys.kind, kind)))
    .get();
}

/** One indexed read (`api_keys_hash_unique`) per authenticated request. */
export async function getApiKeyByHash(db: Db, hash: string): Promise<ApiKeyRow | undefined> {
  return db.select().from(apiKeys).where(eq(apiKeys.keyHash, hash)).get();
}

export async function deleteApiKey(db: Db, id: string): Promise<void> {
  await db.delete(apiKeys).where(eq(apiKeys.id, id));
}

/**
 * API keys or portal links (each listed by its own route), newest first: of
 * one application when given (`api_keys_application_idx`), and only those
 * that still work at `liveAt` when given (revoked ones are deleted).
 */
export async function listApiKeys(
  db: Db,
  f: {
    kind: ApiKeyRow["kind"];
    applicationId?: string | undefined;
    liveAt?: string;
    before?: string | undefined;
    limit: number;
  },
): Promise<ApiKeyRow[]> {
  return db
    .select()
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.kind, f.kind),
        f.applicationId ? eq(apiKeys.applicationId, f.applicationId) : undefined,
        f.liveAt ? gt(apiKeys.expiresAt, f.liveAt) : undefined,
        f.before ? lt(apiKeys.id, f.before) : undefined,
      ),
    )
    .orderBy(desc(apiKeys.id))
    .limit(f.limit);
}

/**
 * Sets `last_used_at` unless it is newer than `staleBefore`. The condition is
 * in the statement too, so requests racing on the same key write the row once.
 */
export async function touchApiKey(
  db: Db,
  id: string,
  at: string,
  staleBefore: string,
): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: at })
    .where(
      and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, staleBefore))),
    );
}

/**
 * Deletes portal links that expired before `before`. The kind is a literal so
 * that SQLite can use the partial index on portal links' expiry.
 */
export async function deleteExpiredPortalLinks(db: Db, before: string): Promise<number> {
  const result = await db
    .delete(apiKeys)
    .where(and(sql.raw("kind = 'portal_link'"), lt(apiKeys.expiresAt, before)));
  return result.meta.changes;
}
