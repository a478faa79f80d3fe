/**
 * @module A D1 binding that counts what it costs: queries, the rows D1
 * reports read and written (`meta.rows_read`/`rows_written`, the units D1
 * bills) and the time it spent executing them (`meta.duration`, what bounds
 * a database's throughput). Tests use it to show a query is bounded; the
 * benchmark, to price a delivery and to say how many a shard can take.
 * Selects are answered through `all()` so their meta is seen too.
 */

import type { Usage } from "../lib/usage";

type D1Usage = Usage["d1"];

export function newUsage(): D1Usage {
  return { queries: 0, rowsRead: 0, rowsWritten: 0, busyMs: 0 };
}

function count(usage: D1Usage, meta: D1Meta | undefined): void {
  usage.queries += 1;
  usage.rowsRead += meta?.rows_read ?? 0;
  usage.rowsWritten += meta?.rows_written ?? 0;
  usage.busyMs += meta?.duration ?? 0;
}

class MeteredStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    private readonly usage: D1Usage,
  ) {}

  bind(...values: unknown[]): MeteredStatement {
    return new MeteredStatement(this.inner.bind(...values), this.usage);
  }

  async all<T>(): Promise<D1Result<T>> {
    const result = await this.inner.all<T>();
    count(this.usage, result.meta);
    return result;
  }

  async run<T>(): Promise<D1Result<T>> {
    const result = await this.inner.run<T>();
    count(this.usage, result.meta);
    return result;
  }

  async first<T>(column?: string): Promise<T | null> {
    const { results } = await this.all<Record<string, unknown>>();
    const row = results[0];
    if (!row) return null;
    return (column ? row[column] : row) as T;
  }

  async raw<T extends unknown[]>(): Promise<T[]> {
    const { results } = await this.all<Record<string, unknown>>();
    return results.map((row) => Object.values(row) as T);
  }
}

export function meterD1(db: D1Database, usage: D1Usage): D1Database {
  const metered = {
    prepare: (query: string) => new MeteredStatement(db.prepare(query), usage),
    batch: async (statements: MeteredStatement[]) => {
      const results = await db.batch(statements.map((s) => s.inner));
      for (const result of results) count(usage, result.meta);
      return results;
    },
    exec: (query: string) => db.exec(query),
    withSession: () => metered,
    dump: () => (db as unknown as { dump(): Promise<ArrayBuffer> }).dump(),
  };
  return metered as unknown as D1Database;
}
