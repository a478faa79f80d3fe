/** @module A Durable Object's SQLite, metered: every statement counts the rows it read and wrote. */
import { usage } from "../lib/usage";

export type SqlRunner = <T extends Record<string, SqlStorageValue>>(
  query: string,
  ...bindings: unknown[]
) => T[];

export function meteredSql(storage: DurableObjectStorage): SqlRunner {
  return <T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]) => {
    const cursor = storage.sql.exec<T>(query, ...bindings);
    const rows = cursor.toArray();
    usage.doRowsRead += cursor.rowsRead;
    usage.doRowsWritten += cursor.rowsWritten;
    return rows;
  };
}
