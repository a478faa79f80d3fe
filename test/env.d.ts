import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
      TEST_HISTORY_MIGRATIONS: D1Migration[];
      MIGRATION_TEST_DB: D1Database;
      MIGRATION_TEST_HISTORY: D1Database;
      TEST_CLIENT_CERT: Fetcher;
    }
    interface GlobalProps {
      mainModule: typeof import("../src/index");
      durableNamespaces: "WebhookDO" | "IngestDO";
    }
  }
}
