/** @module Webhook rows. */
import { and, asc, desc, eq, getTableColumns, gt, inArray, isNull, lt, sql } from "drizzle-orm";
import { chunked } from "../chunked";
import type { Db } from "../client";
import { applications, type WebhookRow, webhooks } from "../schema";

type NewWebhook = typeof webhooks.$inferInsert;
export type WebhookChanges = Partial<Omit<NewWebhook, "id" | "applicationId" | "createdAt">>;

export async function getWebhook(db: Db, id: string): Promise<WebhookRow | undefined> {
  return db.select().from(webhooks).where(eq(webhooks.id, id)).get();
}

/**
 * Inserts the webhook unless its application is gone or already has
 * `webhook_limit` webhooks, in one statement (INSERT … SELECT … WHERE), so
 * concurrent creates cannot pass the limit between a count and an insert.
 * Undefined when nothing was inserted; the caller tells 404 from 409.
 */
export async function insertWebhookWithinLimit(
  db: Db,
  row: NewWebhook,
): Promise<WebhookRow | undefined> {
  const values = Object.entries(getTableColumns(webhooks))
    .filter(([, column]) => !column.generated)
    .map(([key, column]) => {
      const value = (row as Record<string, unknown>)[key];
      return sql.param(value ?? column.default ?? null, column);
    });
  const [created] = await db
    .insert(webhooks)
    .select(
      sql`select ${sql.join(values, sql`, `)}
          where (select count(*) from ${webhooks} where ${webhooks.applicationId} = ${row.applicationId})
              < (select ${applications.webhookLimit} from ${applications} where ${applications.id} = ${row.applicationId})`,
    )
    .returning();
  return created;
}

export async function updateWebhook(
  db: Db,
  id: string,
  changes: WebhookChanges,
): Promise<WebhookRow | undefined> {
  const [updated] = await db.update(webhooks).set(changes).where(eq(webhooks.id, id)).returning();
  return updated;
}

export async function deleteWebhook(db: Db, id: string): Promise<void> {
  await db.delete(webhooks).where(eq(webhooks.id, id));
}

export async function listWebhooks(
  db: Db,
  f: { applicationId?: string; before?: string; limit: number },
): Promise<WebhookRow[]> {
  return db
    .select()
    .from(webhooks)
    .where(
      and(
        f.applicationId ? eq(webhooks.applicationId, f.applicationId) : undefined,
        f.before ? lt(webhooks.id, f.before) : undefined,
      ),
    )
    .orderBy(desc(webhooks.id))
    .limit(f.limit);
}

/** The enabled webhooks of these applications. */
export async function listEnabledWebhooks(
  db: Db,
  applicationIds: string[],
): Promise<WebhookRow[]> {
  const found = await Promise.all(
    chunked(applicationIds).map((part) =>
      db
        .select()
        .from(webhooks)
        .where(and(inArray(webhooks.applicationId, part), eq(webhooks.enabled, true))),
    ),
  );
  return found.flat();
}

/** Webhook ids after `after`, ascending: for walking them all a page at a time. */
export async function listWebhookIds(db: Db, after: string, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: webhooks.id })
    .from(webhooks)
    .where(gt(webhooks.id, after))
    .orderBy(asc(webhooks.id))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** The columns that hold a webhook's signing secrets and keys, sealed or not. */
const credentialColumns = {
  id: webhooks.id,
  secret: webhooks.secret,
  previousSecret: webhooks.previousSecret,
  privateKey: webhooks.privateKey,
  previousPrivateKey: webhooks.previousPrivateKey,
};
type StoredCredentials = Pick<
  WebhookRow,
  "id" | "secret" | "previousSecret" | "privateKey" | "previousPrivateKey"
>;

/** Webhooks' stored credentials after `after`, ascending by id: for rewriting them all a page at a time. */
export async function listStoredCredentials(
  db: Db,
  after: string,
  limit: number,
): Promise<StoredCredentials[]> {
  return db
    .select(credentialColumns)
    .from(webhooks)
    .where(gt(webhooks.id, after))
    .orderBy(asc(webhooks.id))
    .limit(limit);
}

/**
 * Writes `changes` only if the row still stores `seen`, so that a rotation
 * that happened meanwhile is not undone. Whether it was written.
 */
export async function replaceStoredCredentials(
  db: Db,
  seen: StoredCredentials,
  changes: Partial<Omit<StoredCredentials, "id">>,
): Promise<boolean> {
  const same = (column: (typeof credentialColumns)[keyof typeof credentialColumns], value: string | null) =>
    value === null ? isNull(column) : eq(column, value);
  const written = await db
    .update(webhooks)
    .set(changes)
    .where(
      and(
        eq(webhooks.id, seen.id),
        same(webhooks.secret, seen.secret),
        same(webhooks.previousSecret, seen.previousSecret),
        same(webhooks.privateKey, seen.privateKey),
        same(webhooks.previousPrivateKey, seen.previousPrivateKey),
      ),
    )
    .returning({ id: webhooks.id });
  return written.length > 0;
}
