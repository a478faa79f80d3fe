import { resolve } from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { mergeWorkerOptions } from "miniflare";
import { defineConfig } from "vitest/config";

/** RELAY_ENCRYPTION_KEY for the workerd tests: base64 of 32 fixed bytes (tests only). */
const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString("base64");

/**
 * The Worker as wrangler.toml describes it, read by wrangler itself as the
 * pool's `wrangler.configPath` option would, but without the `.dev.vars`
 * that `npm start` writes beside wrangler.toml: a developer's local settings
 * never reach these tests, so a local run is CI's run. wrangler looks for
 * `.dev.vars` in the folder of the config file it was given; it is given the
 * config as if from test/setup/, where there is none.
 */
async function workerFromConfig() {
  const wrangler = await import("wrangler");
  const config = wrangler.unstable_readConfig({ config: "./wrangler.toml" }, { hideWarnings: true });
  return wrangler.unstable_getMiniflareWorkerOptions(
    { ...config, userConfigPath: resolve("test/setup/wrangler.toml") },
    undefined,
    { overrides: { enableContainers: false } },
  );
}

/**
 * Three projects: `unit` runs pure modules in plain Node; `workers` runs
 * inside workerd with real local D1, Queues and Durable Objects (and the
 * unit tests of code that needs a Workers-only API, named `*.workerd.test.ts`);
 * `e2e` runs in Node against `npm start`'s server, black-box (the typed
 * client's tests among them).
 */
export default defineConfig({
  test: {
    // The relay logs every request and attempt; show that only for a failing test.
    silent: "passed-only",
    // Two files at a time, also on 2 cores: most of a file's time is spent
    // waiting (on the queue, alarms, loopback receivers, a relay starting).
    maxWorkers: 2,
    reporters: ["default", "./test/reporters/file-times.ts"],
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["test/unit/**/*.test.ts"],
          exclude: ["test/unit/**/*.workerd.test.ts"],
        },
      },
      {
        plugins: [
          cloudflareTest(async () => {
            const { workerOptions, main } = await workerFromConfig();
            return {
              main,
              miniflare: mergeWorkerOptions(workerOptions, {
                // A batch waits up to a second for company in production; here
                // 50 ms, for every delivery a test waits on crosses the queue.
                queueConsumers: {
                  "hookrelay-delivery": { ...workerOptions.queueConsumers?.["hookrelay-delivery"], maxBatchTimeout: 0.05 },
                },
                // Empty databases for the migration test to build up step by step.
                d1Databases: ["MIGRATION_TEST_DB", "MIGRATION_TEST_HISTORY"],
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
                  RELAY_ADMIN_TOKEN: "test-admin-token",
                  RELAY_ENCRYPTION_KEY: ENCRYPTION_KEY,
                  // MISSING_CERT is listed but not bound: it must not count.
                  RELAY_MTLS_CERTIFICATES: "TEST_CLIENT_CERT, MISSING_CERT",
                  RELAY_ALLOW_PRIVATE_URLS: "true",
                  TEST_MIGRATIONS: await readD1Migrations("./migrations"),
                  TEST_HISTORY_MIGRATIONS: await readD1Migrations("./migrations-history"),
                },
              }),
            };
          }),
        ],
        test: {
          name: "workers",
          include: ["test/unit/**/*.workerd.test.ts", "test/integration/**/*.test.ts"],
          setupFiles: ["./test/setup/apply-migrations.ts"],
          globalSetup: ["./test/setup/receivers.ts"],
          // Above eventually()'s 30 s, so that a wait that fails says what it waited for.
          testTimeout: 60_000,
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
        },
      },
    ],
  },
});
