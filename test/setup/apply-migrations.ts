import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Idempotent: safe however many times setup runs. The main database, then
// every history shard (wrangler.toml's HISTORY_<n>).
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
for (const [name, binding] of Object.entries(env)) {
  if (/^HISTORY_\d+$/.test(name)) await applyD1Migrations(binding as D1Database, env.TEST_HISTORY_MIGRATIONS);
}
