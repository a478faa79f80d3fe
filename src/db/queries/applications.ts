/** @module Application rows. */
import { asc, desc, eq, gt, lt } from "drizzle-orm";
import type { Db } from "../client";
import { type ApplicationRow, applications } from "../schema";

type NewApplication = typeof applications.$inferInsert;

export async function getApplication(db: Db, id: string): Promise<ApplicationRow | undefined> {
  return db.select().from(applications).where(eq(applications.id, id)).get();
}

export async function getApplicationByUid(
  db: Db,
  uid: string,
): Promise<ApplicationRow | undefined> {
  return db.select().from(applications).where(eq(applications.uid, uid)).get();
}

export async function insertApplication(db: Db, row: NewApplication): Promise<ApplicationRow> {
  const [created] = await db.insert(applications).values(row).returning();
  return created!;
}

export async function updateApplication(
  db: Db,
  id: string,
  changes: Partial<Omit<NewApplication, "id" | "createdAt">>,
): Promise<ApplicationRow | undefined> {
  const [updated] = await db
    .update(applications)
    .set(changes)
    .where(eq(applications.id, id))
    .returning();
  return updated;
}

export async function deleteApplication(db: Db, id: string): Promise<void> {
  await db.delete(applications).where(eq(applications.id, id));
}

export async function listApplications(
  db: Db,
  f: { id?: string; before?: string; limit: number },
): Promise<ApplicationRow[]> {
  const query = db.select().from(applications);
  if (f.id) return query.where(eq(applications.id, f.id)).limit(1);
  return query
    .where(f.before ? lt(applications.id, f.before) : undefined)
    .orderBy(desc(applications.id))
    .limit(f.limit);
}

/** Application ids after `after`, ascending: for walking them all a page at a time. */
export async function listApplicationIds(db: Db, after: string, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: applications.id })
    .from(applications)
    .where(gt(applications.id, after))
    .orderBy(asc(applications.id))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Which of these applications exist (one query, the ids as one JSON parameter). */
export async function existingApplicationIds(db: Db, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { results } = await db.$client
    .prepare("SELECT id FROM applications WHERE id IN (SELECT value FROM json_each(?))")
    .bind(JSON.stringify(ids))
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}
