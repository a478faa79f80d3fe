#!/usr/bin/env node
/**
 * Builds the dashboard into public/, which the Worker serves as static assets
 * (wrangler.toml [assets]): esbuild bundles dashboard/src/main.ts into app.js
 * and dashboard/styles.css into styles.css; index.html, favicon.svg and
 * _headers (security headers for every asset) are copied as they are. Plain
 * TypeScript, no framework, nothing fetched from a CDN.
 *
 * Files whose content did not change are left untouched, and changed files are
 * replaced by rename, so rebuilding while `npm start` serves public/ never
 * shows it a missing or half-written file. `--watch` rebuilds on change.
 *
 * @example
 *   node scripts/build-dashboard.mjs          # once (npm start and npm test do this)
 *   node scripts/build-dashboard.mjs --watch  # beside `npm start`, while editing
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  watch as watchFiles,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "dashboard");
const out = join(root, "public");

/** Copied to public/ byte for byte. */
const STATIC_FILES = ["index.html", "favicon.svg", "_headers"];

/** @type {import("esbuild").BuildOptions} */
const options = {
  absWorkingDir: root,
  entryPoints: {
    app: join(source, "src", "main.ts"),
    styles: join(source, "styles.css"),
  },
  outdir: out,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022", "chrome111", "firefox111", "safari16"],
  minify: true,
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
  write: false,
  metafile: true,
};

/**
 * The dashboard talks to the relay through the typed client
 * (clients/typescript/src/client.ts, its one package openapi-fetch) and
 * takes its defaults and filter checks from Worker-free modules of src/,
 * type-only otherwise. A value import of a Worker file would bundle zod,
 * drizzle or worse into the page: refuse any other package, and any file
 * of src/ that imports something itself.
 */
const ALLOWED_PACKAGES = ["node_modules/openapi-fetch/"];

function checkInputs(metafile) {
  for (const [path, input] of Object.entries(metafile?.inputs ?? {})) {
    const fromWorker = path.startsWith("src/") && input.imports.length > 0;
    const otherPackage =
      path.includes("node_modules/") && !ALLOWED_PACKAGES.some((allowed) => path.startsWith(allowed));
    if (otherPackage || fromWorker)
      throw new Error(
        `the dashboard bundle takes in ${path}: talk to the API through the typed client, import the Worker's types with "import type", and values only from modules that import nothing`,
      );
  }
}

/** Writes `content` to `file` unless it already holds exactly that; atomic by rename. */
function writeIfChanged(file, content) {
  const bytes = Buffer.from(content);
  if (existsSync(file) && readFileSync(file).equals(bytes)) return false;
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, file);
  return true;
}

/** Puts a build's outputs and the static files in public/ and removes anything else there. */
function emit(outputFiles) {
  const wanted = new Map();
  for (const file of outputFiles) wanted.set(file.path, file.contents);
  for (const name of STATIC_FILES) wanted.set(join(out, name), readFileSync(join(source, name)));
  let changed = 0;
  for (const [file, content] of wanted) if (writeIfChanged(file, content)) changed += 1;
  // Whatever an older build left behind would be served too.
  for (const name of readdirSync(out)) {
    const file = join(out, name);
    if (!wanted.has(file)) {
      rmSync(file, { recursive: true, force: true });
      changed += 1;
    }
  }
  return changed;
}

/** Builds once; resolves with the number of files written or removed. */
export async function buildDashboard() {
  mkdirSync(out, { recursive: true });
  const result = await esbuild.build(options);
  checkInputs(result.metafile);
  return emit(result.outputFiles ?? []);
}

async function watch() {
  let last = [];
  const context = await esbuild.context({
    ...options,
    plugins: [
      {
        name: "emit",
        setup(build) {
          build.onEnd((result) => {
            if (result.errors.length > 0) return;
            try {
              checkInputs(result.metafile);
            } catch (error) {
              process.stderr.write(`[dashboard] ${error.message}\n`);
              return;
            }
            last = result.outputFiles ?? [];
            const changed = emit(last);
            if (changed > 0) process.stdout.write(`[dashboard] rebuilt ${relative(root, out)}/\n`);
          });
        },
      },
    ],
  });
  await context.watch();
  // esbuild watches what it bundles; the copied files are watched here.
  watchFiles(source, (_event, name) => {
    if (name && STATIC_FILES.includes(name) && emit(last) > 0)
      process.stdout.write(`[dashboard] copied ${name}\n`);
  });
  process.stdout.write("[dashboard] watching dashboard/\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes("--watch")) {
    await watch();
  } else {
    const started = Date.now();
    await buildDashboard();
    const ms = Date.now() - started;
    process.stdout.write(`[dashboard] built ${relative(root, out)}/ in ${ms} ms\n`);
  }
}
