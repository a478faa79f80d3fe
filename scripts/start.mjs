#!/usr/bin/env node
/**
 * `npm start`: the relay on http://localhost:$PORT (default 8787) with local
 * D1, Queues and Durable Objects, run by Miniflare in this process (no
 * `wrangler dev`: no dev proxy, no inspector, no debug logging of every
 * subrequest; see docs/BENCHMARKS.md, "The local runtime").
 *
 * It bundles src/index.ts as `wrangler deploy` would, reads the bindings from
 * wrangler.toml, applies the D1 migrations (tracked as `wrangler d1
 * migrations apply --local` tracks them), settles the admin token
 * (RELAY_ADMIN_TOKEN from the environment, else .dev.vars, else a new one
 * written there) and the encryption key (RELAY_ENCRYPTION_KEY, likewise),
 * serves the API and the dashboard (public/), and runs the
 * cron as production does: the Worker's scheduled handler every minute, and
 * once at boot with the cron "@restart", which tells it that the local queue
 * has just started empty, so that anything accepted before a crash is
 * delivered.
 *
 * PORT and HOST set where it listens; INSPECTOR_PORT, if set, opens a
 * DevTools port. RELAY_PERSIST_TO moves the state out of .wrangler/state
 * (the tests use it); RELAY_CRON_INTERVAL_MS shortens the cron's minute (the
 * tests use it). Other RELAY_* variables in the environment are passed to
 * the Worker as settings.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Log, LogLevel, Miniflare } from "miniflare";
import {
  bundleWorker,
  keepLoopbackConnectionsOpen,
  migrateD1Databases,
  workerBesideItsAssets,
  workerOptionsFromConfig,
} from "./local-runtime.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const configPath = join(root, "wrangler.toml");
const port = Number(process.env.PORT || 8787);
const host = process.env.HOST || "localhost";
const persistTo = resolve(root, process.env.RELAY_PERSIST_TO || join(".wrangler", "state"));
const CRON_EVERY_MS = Number(process.env.RELAY_CRON_INTERVAL_MS || 60_000);
/** Settings for this script, not for the Worker. */
const RUNTIME_ONLY = new Set([
  "RELAY_PERSIST_TO",
  "RELAY_CRON_INTERVAL_MS",
]);

function log(line) {
  process.stdout.write(`[hookrelay] ${line}\n`);
}

/**
 * A secret setting, and where it came from: the environment, else .dev.vars,
 * else `generate()` written there (mode 0600) for the next start.
 */
function settleSecret(name, generate) {
  if (process.env[name]) return { value: process.env[name] };
  const file = join(root, ".dev.vars");
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const found = new RegExp(`^${name}\\s*=\\s*"?([^"\\n]+)"?\\s*$`, "m").exec(text);
  if (found) return { value: found[1], from: ".dev.vars" };
  const value = generate();
  writeFileSync(
    file,
    `${text}${text && !text.endsWith("\n") ? "\n" : ""}${name}="${value}"\n`,
    { mode: 0o600 },
  );
  return { value, generated: true };
}

/**
 * The Worker's stdout and stderr, line by line and as they are: the relay's
 * JSON logs on stdout, warnings and errors on stderr.
 */
function passRuntimeOutput(stdout, stderr) {
  const pass = (from, to) => {
    let rest = "";
    from.setEncoding("utf8");
    from.on("data", (chunk) => {
      const text = rest + chunk;
      const end = text.lastIndexOf("\n");
      if (end === -1) {
        rest = text;
        return;
      }
      to.write(text.slice(0, end + 1));
      rest = text.slice(end + 1);
    });
    from.on("end", () => rest && to.write(`${rest}\n`));
  };
  pass(stdout, process.stdout);
  pass(stderr, process.stderr);
}

const admin = settleSecret("RELAY_ADMIN_TOKEN", () => `hr_admin_${randomBytes(24).toString("base64url")}`);
if (admin.generated) log(`generated an admin token into .dev.vars: ${admin.value}`);
else if (admin.from) log(`admin token from .dev.vars: ${admin.value}`);
else log("admin token from RELAY_ADMIN_TOKEN");
// Encrypts webhook secrets at rest (SECURITY.md); never printed.
const encryption = settleSecret("RELAY_ENCRYPTION_KEY", () => randomBytes(32).toString("base64"));
if (encryption.generated) log("generated an encryption key (RELAY_ENCRYPTION_KEY) into .dev.vars");

const { config, workerOptions, wrangler } = await workerOptionsFromConfig(configPath);

/**
 * Settings, lowest first: [vars] from wrangler.toml, .dev.vars (as `wrangler
 * dev` reads it), the local defaults, then RELAY_* from the environment.
 */
const bindings = { RELAY_ALLOW_PRIVATE_URLS: "true" };
const vars = wrangler.unstable_getVarsForDev(configPath, undefined, config.vars ?? {}, undefined, true);
for (const [key, { value }] of Object.entries(vars)) {
  if (!(key in bindings)) bindings[key] = value;
}
for (const [key, value] of Object.entries(process.env)) {
  if (key.startsWith("RELAY_") && !RUNTIME_ONLY.has(key) && value !== undefined)
    bindings[key] = value;
}
bindings.RELAY_ADMIN_TOKEN = admin.value;
bindings.RELAY_ENCRYPTION_KEY = encryption.value;

keepLoopbackConnectionsOpen();
const persistRoot = join(persistTo, "v3");
try {
  const applied = await migrateD1Databases({
    root,
    config,
    workerOptions,
    persistRoot,
    splitSqlQuery: wrangler.unstable_splitSqlQuery,
  });
  log(applied.length ? `migrations applied: ${applied.join(", ")}` : "migrations applied");
} catch (error) {
  log(`applying migrations failed: ${error instanceof Error ? error.stack : error}`);
  process.exit(1);
}

const entry = resolve(root, config.main ?? "src/index.ts");
const mf = new Miniflare({
  host,
  port,
  inspectorPort: process.env.INSPECTOR_PORT ? Number(process.env.INSPECTOR_PORT) : undefined,
  defaultPersistRoot: persistRoot,
  // The Worker logs every request itself, as JSON.
  logRequests: false,
  // A placeholder `request.cf`, not one fetched from Cloudflare (no network here).
  cf: false,
  log: new Log(LogLevel.WARN),
  handleRuntimeStdio: passRuntimeOutput,
  // runScheduled's way in: /cdn-cgi/handler/scheduled, as `wrangler dev
  // --test-scheduled` offers it.
  unsafeTriggerHandlers: true,
  // The name keys the Durable Objects' storage: the same as `wrangler dev`'s.
  workers: workerBesideItsAssets(config.name, {
    ...workerOptions,
    bindings: { ...workerOptions.bindings, ...bindings },
    modulesRoot: dirname(entry),
    modules: [{ type: "ESModule", path: entry.replace(/\.ts$/, ".js"), contents: await bundleWorker(entry) }],
  }),
});

let stopping = false;
let cronTimer;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  clearInterval(cronTimer);
  try {
    await mf.dispose();
  } finally {
    process.exit(code);
  }
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

/** Where it listens: PORT=0 takes any free port, and the ready line says which. */
let listening;
try {
  listening = await mf.ready;
} catch (error) {
  log(`could not start: ${error instanceof Error ? error.stack : error}`);
  await stop(1);
}

const crons = config.triggers?.crons ?? [];
for (const cron of crons) {
  if (cron !== "* * * * *") log(`the cron "${cron}" is run every minute locally`);
}

/**
 * One run of the scheduled handler; true when it succeeded.
 *
 * A request to Miniflare's /cdn-cgi/handler/scheduled, routed (header
 * MF-Route-Override) to the Worker itself rather than to the static assets,
 * which take unrouted paths, and awaited like any fetch. Not
 * `(await mf.getWorker()).scheduled(...)`: Miniflare's proxy resolves
 * `env[...]` and `.scheduled`, and makes the first call of a method, with a
 * synchronous fetch that blocks this thread in Atomics.wait until workerd
 * answers, and that first call is the whole "@restart" sweep. While this
 * thread is blocked nothing reads workerd's stdout, and after a restart
 * workerd writes a lot there at once (the Durable Objects' persisted alarms
 * log each delivery attempt): once the socket's buffer is full, workerd's
 * main thread blocks in write(2) and never finishes the sweep nor answers
 * anything else (not even /v1/health), so neither side moves again. Nothing
 * here may block this thread on workerd.
 */
async function runScheduled(cron) {
  const url = new URL("http://localhost/cdn-cgi/handler/scheduled");
  url.searchParams.set("cron", cron);
  url.searchParams.set("time", String(Date.now()));
  try {
    const res = await mf.dispatchFetch(url, { headers: { "MF-Route-Override": config.name } });
    const outcome = (await res.text()).trim();
    if (res.ok && outcome === "ok") return true;
    log(`scheduled (${cron}) ended with outcome ${outcome || res.status}`);
  } catch (error) {
    if (!stopping) log(`scheduled (${cron}) failed: ${error}`);
  }
  return false;
}

// After a restart the local queue is empty: the Worker re-enqueues whatever
// was accepted and not yet dispatched (src/index.ts, cron "@restart").
for (let attempt = 1; !(await runScheduled("@restart")); attempt++) {
  if (attempt === 5) {
    log("the boot run of the cron failed 5 times; the minute's runs will sweep instead");
    break;
  }
  await new Promise((r) => setTimeout(r, 1_000 * attempt));
}
const shown = host === "127.0.0.1" || host === "localhost" ? "localhost" : host;
// URL.port is empty for http's default port.
const boundPort = listening.port || "80";
log(`ready on http://${shown}:${boundPort} (API docs: http://${shown}:${boundPort}/docs)`);

let running = false;
cronTimer = setInterval(async () => {
  // A slow run is not stacked on: the next minute catches up.
  if (running || stopping) return;
  running = true;
  try {
    for (const cron of crons) await runScheduled(cron);
  } finally {
    running = false;
  }
}, CRON_EVERY_MS);
