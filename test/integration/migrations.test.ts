/**
 * The migrations of each kind of database apply cleanly from empty, tracked
 * as `wrangler d1 migrations apply` tracks them (a second run applies
 * nothing), and make the tables the drizzle schemas declare. The history
 * shards' partition tables are WITHOUT ROWID (a custom migration:
 * drizzle-kit cannot declare it, and a later generated migration that
 * rebuilt one would quietly drop it), with the schema's columns.
 */
import { applyD1Migrations, type D1Migration } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, test } from "vitest";
import * as historySchema from "../../src/db/history-schema";
import * as mainSchema from "../../src/db/schema";

function tablesOf(schema: Record<string, unknown>): SQLiteTable[] {
  return Object.values(schema).filter(
    (v): v is SQLiteTable => typeof v === "object" && v !== null && Symbol.for("drizzle:IsDrizzleTable") in v,
  );
}

async function tableSql(db: D1Database, name: string): Promise<string> {
  const row = await db
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?")
    .bind(name)
    .first<{ sql: string }>();
  return row?.sql ?? "";
}

async function columns(db: D1Database, table: string): Promise<string[]> {
  const { results } = await db.prepare(`PRAGMA table_info('${table}')`).all<{ name: string }>();
  return results.map((r) => r.name);
}

/** Applies `migrations` to an empty database, checks the tracking, and that they make the schema's tables. */
async function fromEmpty(db: D1Database, migrations: D1Migration[], schema: Record<string, unknown>) {
  await applyD1Migrations(db, migrations);
  const tracked = await db.prepare("SELECT name FROM d1_migrations ORDER BY id").all<{ name: string }>();
  expect(tracked.results.map((r) => r.name)).toEqual(migrations.map((m) => m.name));
  await applyD1Migrations(db, migrations);
  expect((await db.prepare("SELECT count(*) AS n FROM d1_migrations").first<{ n: number }>())!.n).toBe(migrations.length);
  for (const table of tablesOf(schema)) {
    const config = getTableConfig(table);
    expect(await columns(db, config.name), config.name).toEqual(config.columns.map((c) => c.name));
  }
}

describe("migrations", () => {
  test("the main database: from empty, tracked as wrangler tracks them, the schema's tables", async () => {
    await fromEmpty(env.MIGRATION_TEST_DB, env.TEST_MIGRATIONS, mainSchema);
  });

  test("a history shard: the same, and every partition table keyed WITHOUT ROWID, its one index only on failed events", async () => {
    const db = env.MIGRATION_TEST_HISTORY;
    await fromEmpty(db, env.TEST_HISTORY_MIGRATIONS, historySchema);
    for (let i = 0; i < historySchema.PARTITIONS; i++) {
      for (const table of [`events_${i}`, `messages_${i}`]) {
        expect(await tableSql(db, table), table).toMatch(/\) WITHOUT ROWID$/);
      }
    }
    const indexes = await db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
      .all<{ name: string; sql: string }>();
    expect(indexes.results.map((r) => r.name)).toEqual(
      Array.from({ length: historySchema.PARTITIONS }, (_, i) => `events_${i}_failed_idx`),
    );
    expect(indexes.results.every((r) => r.sql.endsWith("WHERE status = 1"))).toBe(true);
  });
});
