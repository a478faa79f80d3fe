/**
 * The schema's migrations: the history tables are WITHOUT ROWID (a custom
 * migration; drizzle-kit cannot declare it, and a later generated one that
 * rebuilds a table would quietly drop it), and a database with history from
 * the first version migrates forward without losing any of it.
 */
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, test } from "vitest";

async function tableSql(db: D1Database, name: string): Promise<string> {
  const row = await db
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?")
    .bind(name)
    .first<{ sql: string }>();
  return row?.sql ?? "";
}

describe("migrations", () => {
  test("events and messages are keyed tables WITHOUT ROWID", async () => {
    for (const table of ["events", "messages"]) {
      expect(await tableSql(env.DB, table)).toMatch(/\) WITHOUT ROWID$/);
    }
    const indexes = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('events', 'messages') AND sql IS NOT NULL",
    ).all<{ name: string }>();
    expect(indexes.results.map((r) => r.name)).toEqual(["events_failed_idx"]);
  });

  test("a database from the first version keeps its history", async () => {
    const db = env.MIGRATION_TEST_DB;
    const [first, ...rest] = env.TEST_MIGRATIONS;
    await applyD1Migrations(db, [first!]);
    const at = "2026-11-01T00:00:00.000Z";
    await db.batch([
      db.prepare(
        "INSERT INTO applications (id, name, webhook_limit, metadata, created_at, updated_at) VALUES ('app', 'a', 10, '{}', ?, ?)",
      ).bind(at, at),
      db.prepare(
        `INSERT INTO webhooks (id, application_id, url, event_types, enabled, retry_policy, timeout_ms, headers,
          ordering, max_in_flight, payload_format, metadata, secret, created_at, updated_at)
         VALUES ('wh', 'app', 'https://example.com/', '[]', 1, '{"schedule_seconds":[]}', 15000, '{}', 'none', 10, 'raw', '{}', 'whsec_x', ?, ?)`,
      ).bind(at, at),
      db.prepare(
        "INSERT INTO messages (id, application_id, event_type, payload, created_at, dispatched_at) VALUES ('m1', 'app', 't', '{\"n\":1}', ?, ?)",
      ).bind(at, at),
      db.prepare(
        "INSERT INTO messages (id, application_id, event_type, payload, created_at) VALUES ('m2', 'app', 't', '{\"n\":2}', ?)",
      ).bind(at),
      db.prepare(
        `INSERT INTO events (id, webhook_id, message_id, type, delivery_status, delivery_attempts, max_attempts,
          http_status_code, error_message, created_at, updated_at) VALUES ('e1', 'wh', 'm1', 't', 'success', 2, 2, 200, '', ?, ?)`,
      ).bind(at, at),
      db.prepare(
        `INSERT INTO attempts (id, event_id, attempt, started_at, duration_ms, http_status_code, response_body, error_message)
         VALUES ('a1', 'e1', 1, ?, 5, 500, 'no', 'HTTP 500'), ('a2', 'e1', 2, ?, 6, 200, 'ok', '')`,
      ).bind(at, at),
    ]);

    await applyD1Migrations(db, rest);

    const event = await db.prepare("SELECT * FROM events WHERE id = 'e1'").first<Record<string, unknown>>();
    expect(event).toMatchObject({ webhook_id: "wh", message_id: "m1", delivery_status: "success", delivery_attempts: 2 });
    expect(JSON.parse(event!.attempt_log as string)).toEqual([
      {
        id: "a1",
        attempt: 1,
        startedAt: at,
        durationMs: 5,
        httpStatusCode: 500,
        responseBody: "no",
        errorMessage: "HTTP 500",
      },
      {
        id: "a2",
        attempt: 2,
        startedAt: at,
        durationMs: 6,
        httpStatusCode: 200,
        responseBody: "ok",
        errorMessage: "",
      },
    ]);
    // The attempts moved into their events' rows; the table is gone.
    expect(await tableSql(db, "attempts")).toBe("");
    const messages = await db.prepare("SELECT id, webhook_ids FROM messages ORDER BY id").all();
    // m2 was accepted but not fanned out: NULL tells the consumer to fan it out.
    expect(messages.results).toEqual([
      { id: "m1", webhook_ids: '["wh"]' },
      { id: "m2", webhook_ids: null },
    ]);
    for (const table of ["events", "messages"]) {
      expect(await tableSql(db, table)).toMatch(/WITHOUT ROWID$/);
    }
  });
});
