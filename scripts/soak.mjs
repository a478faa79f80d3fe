#!/usr/bin/env node
/**
 * `npm run soak`: bundles bench/soak-cli.ts (the soak, bench/soak.ts) with
 * esbuild and runs it with the given args.
 */
import { runBundled } from "./run-bundled.mjs";

await runBundled("bench/soak-cli.ts", process.argv.slice(2));
