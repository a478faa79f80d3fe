/**
 * Starts the relay the way `npm start` does (`node scripts/start.mjs`), on a
 * free port with its own state directory and admin token, as the leader of
 * its own process group so that stop() and kill() reach wrangler and workerd
 * too. Used by the e2e tests, the crash test and the benchmark.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** The project root: the nearest folder up from here that has scripts/start.mjs (also when bundled). */
function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, "scripts", "start.mjs"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no scripts/start.mjs above ${from}`);
    dir = up;
  }
  return dir;
}

const ROOT = findRoot(import.meta.dirname);

export type Relay = {
  url: string;
  token: string;
  persistTo: string;
  child: ChildProcess;
  /** What the relay printed so far. */
  output(): string;
  /** SIGTERM to the whole group, then SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** Kills the whole group at once (a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
};

export type RelayOptions = { persistTo?: string; token?: string; env?: Record<string, string> };

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const port = await freePort();
  const persistTo = options.persistTo ?? mkdtempSync(join(tmpdir(), "hookrelay-"));
  const token = options.token ?? `hr_test_${randomBytes(16).toString("hex")}`;
  const child = spawn(process.execPath, [join(ROOT, "scripts", "start.mjs")], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...options.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      RELAY_PERSIST_TO: persistTo,
      RELAY_ADMIN_TOKEN: token,
      WRANGLER_SEND_METRICS: "false",
    },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  // The last 256 KiB is plenty to see why something failed.
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-262_144);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let ready = false;
  child.stdout?.on("data", (chunk: Buffer) => {
    if (chunk.toString().includes("[hookrelay] ready")) ready = true;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const relay: Relay = {
    url,
    token,
    persistTo,
    child,
    output: () => output,
    async stop() {
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async kill(signal = "SIGKILL") {
      signalGroup(signal);
      await exited;
    },
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/v1/health`);
      // Ready once the boot sweep has run too, so restarts are fully recovered.
      if (res.ok && ready) return relay;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await relay.kill();
  throw new Error(`the relay did not start within 90 s:\n${output}`);
}

export type ApiAnswer = { status: number; body: any; headers: Headers };

/** A small client for the relay's API with the admin token. */
export function relayApi(relay: Pick<Relay, "url" | "token">) {
  return {
    async call(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
      const res = await fetch(`${relay.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${relay.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: keep the text.
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
  };
}
