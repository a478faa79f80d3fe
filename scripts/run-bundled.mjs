/**
 * Runs a TypeScript entry of bench/ (which imports the test helpers that
 * start the relay): bundles it with esbuild for Node, then runs the bundle
 * from the project root with the given arguments and exits with its status.
 * `npm run bench` and `npm run soak` go through it.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Bundles `entry` (relative to the root) and runs it with `args`; never returns. */
export async function runBundled(entry, args) {
  const outfile = join(root, "node_modules", ".cache", "hookrelay", `${basename(entry, ".ts")}.mjs`);
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(root, entry)],
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
  const run = spawnSync(process.execPath, [...flags, outfile, ...args], { stdio: "inherit", cwd: root });
  process.exit(run.status ?? 1);
}
