import { defineConfig } from "drizzle-kit";

// drizzle-kit writes the SQL that wrangler (`migrations_dir`) and the tests apply.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
