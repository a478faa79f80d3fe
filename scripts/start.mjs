#!/usr/bin/env node
/**
 * `npm start`: the relay on http://localhost:$PORT (default 8787) with local
 * D1, Queues and Durable Objects. Applies migrations, settles the admin token
 * (RELAY_ADMIN_TOKEN from the environment, else .dev.vars, else a new one
 * written there), runs `wrangler dev`, and drives the cron's maintenance
 * (sweep and retention), which `wrangler dev` does not run by itself, through
 * POST /v1/maintenance: once at boot, so that anything accepted before a crash
 * is delivered, then every minute.
 *
 * PORT and HOST set where it listens, INSPECTOR_PORT its DevTools port.
 * Other RELAY_* variables in the environment are passed to the Worker as
 * settings. RELAY_PERSIST_TO moves the state out of .wrangler/state (the
 * tests use it).
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT || 8787);
const persistTo = process.env.RELAY_PERSIST_TO;
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false" };
/** Keeps the local queue broker's log writes off sockets Node is closing (see the file). */
const devEnv = {
  ...childEnv,
  NODE_OPTIONS: [
    process.env.NODE_OPTIONS,
    `--require ${JSON.stringify(join(root, "scripts", "keep-loopback-alive.cjs"))}`,
  ]
    .filter(Boolean)
    .join(" "),
};
const MAINTENANCE_EVERY_MS = 60_000;

function log(line) {
  process.stdout.write(`[hookrelay] ${line}\n`);
}

/** The admin token, and whether it must be passed on the command line. */
function settleAdminToken() {
  if (process.env.RELAY_ADMIN_TOKEN) return { token: process.env.RELAY_ADMIN_TOKEN, pass: true };
  const file = join(root, ".dev.vars");
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const found = /^RELAY_ADMIN_TOKEN\s*=\s*"?([^"\n]+)"?\s*$/m.exec(text);
  if (found) return { token: found[1], pass: false, from: ".dev.vars" };
  const token = `hr_admin_${randomBytes(24).toString("base64url")}`;
  writeFileSync(
    file,
    `${text}${text && !text.endsWith("\n") ? "\n" : ""}RELAY_ADMIN_TOKEN="${token}"\n`,
    {
      mode: 0o600,
    },
  );
  return { token, pass: false, generated: true };
}

const persistArgs = persistTo ? ["--persist-to", persistTo] : [];

const migrate = spawnSync(
  wrangler,
  ["d1", "migrations", "apply", "DB", "--local", ...persistArgs],
  {
    cwd: root,
    env: { ...childEnv, CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
  },
);
if (migrate.status !== 0) {
  process.stderr.write(migrate.stdout + migrate.stderr);
  log("applying migrations failed");
  process.exit(1);
}
log("migrations applied");

const admin = settleAdminToken();
if (admin.generated) log(`generated an admin token into .dev.vars: ${admin.token}`);
else if (admin.from) log(`admin token from .dev.vars: ${admin.token}`);
else log("admin token from RELAY_ADMIN_TOKEN");

/** Worker settings from the environment (RELAY_*), over the local defaults. */
const settings = { RELAY_ALLOW_PRIVATE_URLS: "true" };
for (const [key, value] of Object.entries(process.env)) {
  if (key.startsWith("RELAY_") && key !== "RELAY_PERSIST_TO" && value !== undefined)
    settings[key] = value;
}
if (!admin.pass) delete settings.RELAY_ADMIN_TOKEN;

const devArgs = [
  "dev",
  "--port",
  String(port),
  "--ip",
  process.env.HOST || "localhost",
  "--show-interactive-dev-session=false",
  // Every `wrangler dev` wants 9229 by default, and a second one then attaches to ours.
  ...(process.env.INSPECTOR_PORT ? ["--inspector-port", process.env.INSPECTOR_PORT] : []),
  ...persistArgs,
  ...Object.entries(settings).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
];
const dev = spawn(wrangler, devArgs, {
  cwd: root,
  env: devEnv,
  stdio: ["ignore", "inherit", "inherit"],
});

const base = `http://127.0.0.1:${port}`;
let maintenanceTimer;

/**
 * Runs the cron's maintenance through the API (`wrangler dev` cannot trigger
 * the scheduled handler of a Worker with static assets). `afterRestart`: the
 * local queue has just started empty, so everything undispatched is re-enqueued.
 */
async function maintain(afterRestart = false) {
  try {
    const res = await fetch(`${base}/v1/maintenance`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin.token}`, "content-type": "application/json" },
      body: JSON.stringify({ after_restart: afterRestart }),
    });
    if (!res.ok) log(`maintenance answered ${res.status}: ${await res.text()}`);
  } catch {
    // The next tick tries again.
  }
}

async function waitUntilReady() {
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(`${base}/v1/health`);
      if (res.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

waitUntilReady().then(async (ready) => {
  if (!ready) return;
  await maintain(true);
  log(`ready on http://localhost:${port} (API docs: http://localhost:${port}/docs)`);
  maintenanceTimer = setInterval(maintain, MAINTENANCE_EVERY_MS);
});

function stop(signal) {
  clearInterval(maintenanceTimer);
  dev.kill(signal);
}
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
dev.on("exit", (code) => {
  clearInterval(maintenanceTimer);
  process.exit(code ?? 0);
});
