import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Idempotent: safe however many times setup runs.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
