import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export const ADMIN_TOKEN = "test-admin-token";
/** RELAY_ENCRYPTION_KEY for the workerd tests: base64 of 32 fixed bytes (tests only). */
export const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString("base64");

/**
 * Two projects: `workers` runs inside workerd with real local D1, Queues and
 * Durable Objects; `e2e` runs in Node against `npm start`'s server, black-box
 * (the typed client's tests among them).
 */
export default defineConfig({
  test: {
    // The relay logs every request and attempt; show that only for a failing test.
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest(async () => ({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // An empty database for the migration test to build up step by step.
              d1Databases: ["MIGRATION_TEST_DB"],
              // A stand-in for an [[mtls_certificates]] binding (which has no local
              // form: Miniflare proxies it to Cloudflare): a Worker that fetches
              // the request as given, as the binding would, and marks it as passed through.
              serviceBindings: { TEST_CLIENT_CERT: "client-certificate-stand-in" },
              workers: [
                {
                  name: "client-certificate-stand-in",
                  modules: true,
                  compatibilityDate: "2026-04-20",
                  script: `export default {
                    async fetch(request) {
                      const forwarded = new Request(request);
                      forwarded.headers.set("x-client-certificate", "TEST_CLIENT_CERT");
                      return fetch(forwarded);
                    },
                  };`,
                },
              ],
              bindings: {
                RELAY_ADMIN_TOKEN: ADMIN_TOKEN,
                RELAY_ENCRYPTION_KEY: ENCRYPTION_KEY,
                // MISSING_CERT is listed but not bound: it must not count.
                RELAY_MTLS_CERTIFICATES: "TEST_CLIENT_CERT, MISSING_CERT",
                RELAY_ALLOW_PRIVATE_URLS: "true",
                TEST_MIGRATIONS: await readD1Migrations("./migrations"),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
          setupFiles: ["./test/setup/apply-migrations.ts"],
          globalSetup: ["./test/setup/receivers.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          // The typed client's suite drives the same local relay, so it runs here.
          include: ["test/e2e/**/*.test.ts", "clients/typescript/test/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
