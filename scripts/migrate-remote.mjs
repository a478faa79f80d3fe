#!/usr/bin/env node
/**
 * `npm run deploy`'s first step: `wrangler d1 migrations apply <binding>
 * --remote` for every D1 database in wrangler.toml (the main one and each
 * history shard; wrangler applies one database per call), each with its own
 * `migrations_dir`. Stops at the first that fails.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = await import("wrangler");
const config = wrangler.unstable_readConfig({ config: join(root, "wrangler.toml") }, { hideWarnings: true });
for (const database of config.d1_databases ?? []) {
  const run = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", database.binding, "--remote"], {
    cwd: root,
    stdio: "inherit",
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
