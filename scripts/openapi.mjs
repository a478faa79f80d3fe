#!/usr/bin/env node
/**
 * Prints the relay's OpenAPI document (what GET /openapi.json answers) without
 * starting the relay: esbuild bundles src/app.ts for Node, with the one
 * workerd-only import (`cloudflare:workers`, the Durable Object base class)
 * stubbed, and the app answers the request in process. The document comes
 * from the zod schemas alone, so no binding is needed. The typed client's
 * generator (clients/typescript/scripts/generate.mjs) reads it from here.
 *
 * @example
 *   node scripts/openapi.mjs > openapi.json
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** @type {import("esbuild").Plugin} */
const stubWorkerd = {
  name: "stub-workerd",
  setup(build) {
    build.onResolve({ filter: /^cloudflare:/ }, (args) => ({ path: args.path, namespace: "stub" }));
    build.onLoad({ filter: /.*/, namespace: "stub" }, () => ({
      contents: "export class DurableObject {}",
      loader: "js",
    }));
  },
};

/** The OpenAPI 3.1 document as the relay serves it, parsed. */
export async function openApiDocument() {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ["src/app.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
    logLevel: "warning",
    plugins: [stubWorkerd],
  });
  const code = result.outputFiles[0].text;
  const { createApp } = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);
  // Quiet: the app logs every request, and stdout is the document.
  const info = console.info;
  const log = console.log;
  console.info = console.log = () => {};
  try {
    const response = await createApp().request("/openapi.json", {}, {});
    if (response.status !== 200) throw new Error(`/openapi.json answered ${response.status}`);
    return await response.json();
  } finally {
    console.info = info;
    console.log = log;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${JSON.stringify(await openApiDocument(), null, 2)}\n`);
}
