import { defineConfig } from "drizzle-kit";

// The history shards' tables (src/db/history-schema.ts): every HISTORY_<n>
// database applies `migrations-history/` (wrangler.toml's `migrations_dir`).
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/history-schema.ts",
  out: "./migrations-history",
});
