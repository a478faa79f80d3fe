#!/usr/bin/env node
/**
 * `npm run bench`: bundles bench/run.ts (TypeScript, importing the test
 * helpers that start the relay) with esbuild and runs it with the given args.
 */
import { runBundled } from "./run-bundled.mjs";

await runBundled("bench/run.ts", process.argv.slice(2));
