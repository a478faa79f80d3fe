import { defineConfig } from "drizzle-kit";

// drizzle-kit writes the SQL that wrangler (`migrations_dir`) and the tests apply to
// the main database; the history shards have their own (drizzle.history.config.ts).
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
