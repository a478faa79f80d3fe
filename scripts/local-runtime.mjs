/**
 * @module The local Workers runtime without `wrangler dev`: Miniflare's API,
 * used by `npm start` (scripts/start.mjs) and by the benchmark's bare queue
 * Worker (bench/run.ts). What it replaces, and why, is in
 * docs/BENCHMARKS.md ("The local runtime").
 *
 * - `bundleWorker`: esbuild with the settings `wrangler deploy` uses, so the
 *   local Worker is the code production runs.
 * - `keepLoopbackConnectionsOpen`: Miniflare's Node loopback server must not
 *   close idle connections before workerd does (see there).
 * - `workerOptionsFromConfig`: the bindings of wrangler.toml, as wrangler
 *   reads them, for `new Miniflare({ workers: [...] })`.
 * - `migrateD1Databases`: each D1 database's migrations applied and tracked
 *   as `wrangler d1 migrations apply --local` does, in the same table,
 *   before the Worker serves anything.
 * - `workerBesideItsAssets`: the static assets beside the Worker rather than
 *   in front of it, as on Cloudflare.
 */
import http from "node:http";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as esbuild from "esbuild";
import { Log, LogLevel, Miniflare } from "miniflare";

/**
 * Bundles a Worker entry into one ES module, as `wrangler deploy` would:
 * workerd's export conditions, `cloudflare:*` left to the runtime, NODE_ENV
 * defined, an inline source map for readable stack traces.
 */
export async function bundleWorker(entry) {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"],
    define: {
      "process.env.NODE_ENV": '"development"',
      "global.process.env.NODE_ENV": '"development"',
      "globalThis.process.env.NODE_ENV": '"development"',
    },
    sourcemap: "inline",
    logLevel: "warning",
  });
  // esbuild's service process would otherwise stay for the life of ours.
  await esbuild.stop();
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced nothing for ${entry}`);
  return file.text;
}

/**
 * Miniflare answers the runtime's internal calls (the local queue broker's
 * log line after every batch, among others) on a Node HTTP "loopback"
 * server in this process. Node closes an idle keep-alive connection after
 * 5 s, workerd keeps it pooled for about as long, so a call 5 s after the
 * previous one can go out on a socket Node is closing; the broker's call then
 * throws "Network connection lost" and it never dispatches a batch again
 * (miniflare 4.x, workers/queues/broker.worker.js #flush). With a server
 * timeout well above workerd's, workerd always closes its idle connections
 * first, so nothing races and nothing piles up. Call before `new Miniflare`.
 */
export function keepLoopbackConnectionsOpen(keepAliveMs = 65_000) {
  if (http.createServer.hookrelayKeepAlive) return;
  const createServer = http.createServer;
  const patched = function createServerWithLongKeepAlive(...args) {
    const server = createServer.apply(this, args);
    server.keepAliveTimeout = keepAliveMs;
    // Node wants headersTimeout above keepAliveTimeout.
    server.headersTimeout = keepAliveMs + 1_000;
    return server;
  };
  patched.hookrelayKeepAlive = true;
  http.createServer = patched;
}

/**
 * The Worker in wrangler.toml as Miniflare options: compatibility date and
 * flags, [vars], D1, queue producers and consumers, every Durable Object
 * binding (SQLite-backed where its migration says so), static assets with
 * `run_worker_first`. Read by wrangler itself (`unstable_readConfig`,
 * `unstable_getMiniflareWorkerOptions`), so nothing here names a binding.
 */
export async function workerOptionsFromConfig(configPath) {
  const wrangler = await import("wrangler");
  const config = wrangler.unstable_readConfig({ config: configPath }, { hideWarnings: true });
  const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(configPath, undefined, {});
  return { config, workerOptions, wrangler };
}

/**
 * The Worker and its static assets as two Miniflare workers, routed as
 * Cloudflare routes them: the `run_worker_first` paths straight to the
 * Worker, anything else to the assets, which answer from their directory or
 * pass the request on to the Worker. On Cloudflare the asset router runs in
 * front of the Worker at no cost to it; Miniflare would run it as three
 * more JS workers (its RPC proxy, router and asset lookup) on workerd's one
 * thread, in front of every API call: a quarter of the CPU a publish costs
 * the local relay (docs/BENCHMARKS.md). Returns
 * the workers for `new Miniflare({ workers })`, the assets first (the one
 * unrouted requests reach), or the Worker alone when it has no assets or
 * its routing says more than paths for the Worker.
 */
export function workerBesideItsAssets(name, workerOptions) {
  const { assets, ...worker } = workerOptions;
  const routing = assets?.routerConfig?.static_routing;
  if (!assets || !routing || routing.asset_worker?.length) return [{ ...workerOptions, name }];
  return [
    {
      name: `${name}-assets`,
      modules: true,
      script: "export default { fetch: (request, env) => env.WORKER.fetch(request) }",
      compatibilityDate: worker.compatibilityDate,
      serviceBindings: { WORKER: name },
      assets: { ...assets, routerConfig: { has_user_worker: true } },
    },
    {
      ...worker,
      name,
      // A route matches the path and query together: "/docs" must take "/docs?x" too.
      routes: routing.user_worker.map((path) => `*${path.endsWith("*") ? path : `${path}*`}`),
    },
  ];
}

/**
 * Applies the `.sql` files of `dir` that `table` does not list yet, in
 * order, each in one D1 batch with its row in `table`: the table and rows
 * `wrangler d1 migrations apply --local` keeps, so either may run next.
 * Returns the names applied.
 */
export async function applyD1Migrations(db, dir, table, splitSqlQuery) {
  await db
    .prepare(
      `CREATE TABLE IF NOT EXISTS ${table}(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);`,
    )
    .run();
  const applied = new Set(
    (await db.prepare(`SELECT name FROM ${table}`).all()).results.map((r) => r.name),
  );
  const pending = readdirSync(dir)
    .filter((name) => name.endsWith(".sql") && !applied.has(name))
    .sort((a, b) => parseInt(a.split("_")[0], 10) - parseInt(b.split("_")[0], 10) || a.localeCompare(b));
  for (const name of pending) {
    const statements = splitSqlQuery(readFileSync(join(dir, name), "utf8"))
      .map((s) => s.trim())
      .filter(Boolean);
    await db.batch([
      ...statements.map((s) => db.prepare(s)),
      db.prepare(`INSERT INTO ${table} (name) VALUES (?)`).bind(name),
    ]);
  }
  return pending;
}

/**
 * Applies the migrations of every D1 database in wrangler.toml to the local
 * state under `persistRoot`, on a Miniflare of its own that binds only the
 * databases and listens nowhere reachable, so that the Worker never answers
 * a request on a schema that is not there yet. Returns the names applied.
 */
export async function migrateD1Databases({ root, config, workerOptions, persistRoot, splitSqlQuery }) {
  const databases = (config.d1_databases ?? []).filter((d) =>
    existsSync(resolve(root, d.migrations_dir ?? "migrations")),
  );
  if (databases.length === 0) return [];
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    cf: false,
    log: new Log(LogLevel.WARN),
    modules: true,
    script: "export default {}",
    compatibilityDate: workerOptions.compatibilityDate,
    d1Databases: workerOptions.d1Databases,
    defaultPersistRoot: persistRoot,
  });
  try {
    const applied = [];
    for (const database of databases) {
      applied.push(
        ...(await applyD1Migrations(
          await mf.getD1Database(database.binding),
          resolve(root, database.migrations_dir ?? "migrations"),
          database.migrations_table ?? "d1_migrations",
          splitSqlQuery,
        )),
      );
    }
    return applied;
  } finally {
    await mf.dispose();
  }
}
