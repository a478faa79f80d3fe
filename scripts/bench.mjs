#!/usr/bin/env node
/**
 * `npm run bench`: bundles bench/run.ts (TypeScript, importing the test
 * helpers that start the relay) with esbuild and runs it with the given args.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "node_modules", ".cache", "hookrelay", "bench.mjs");
mkdirSync(dirname(outfile), { recursive: true });
await build({
  entryPoints: [join(root, "bench", "run.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  outfile,
  packages: "external",
  logLevel: "warning",
});
// `--profile` talks to the inspector over WebSocket, global from Node 22 and behind a flag in Node 20.
const flags = typeof globalThis.WebSocket === "undefined" ? ["--experimental-websocket"] : [];
const run = spawnSync(process.execPath, [...flags, outfile, ...process.argv.slice(2)], {
  stdio: "inherit",
  cwd: root,
});
process.exit(run.status ?? 1);
