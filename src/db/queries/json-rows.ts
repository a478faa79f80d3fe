/**
 * @module Many rows in one statement. D1 binds at most 100 parameters to a
 * statement, so a multi-row VALUES list holds a handful of rows; a JSON array
 * bound as one parameter and read with `json_each` holds as many as fit the
 * parameter's size. Text values come back exactly as written (`->>`).
 */
import { jsonChunks } from "../../lib/json-chunks";

/**
 * Runs one statement per chunk of rows, each bound to its JSON array, in one
 * batch (one round trip, one transaction). Returns each statement's changes.
 */
export async function runPerChunk(
  db: { $client: D1Database },
  query: string,
  rows: unknown[],
): Promise<number[]> {
  if (rows.length === 0) return [];
  const d1 = db.$client;
  const results = await d1.batch(jsonChunks(rows).map((json) => d1.prepare(query).bind(json)));
  return results.map((r) => r.meta.changes ?? 0);
}
