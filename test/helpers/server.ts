/**
 * Starts the relay the way `npm start` does (`node scripts/start.mjs`), on a
 * free port with its own state directory and admin token, as the leader of
 * its own process group so that stop() and kill() reach workerd too. Used by
 * the e2e tests, the crash test and the benchmark.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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
const STARTUP_TIMEOUT_MS = 90_000;
const POLL_MS = 200;
const STOP_GRACE_MS = 10_000;
/**
 * What start.mjs prints once the Worker answers and the boot run of the cron
 * ("@restart") is done, with the port it listens on (matched up to the text
 * after it, so a line cut inside the number is not taken).
 */
const READY_LINE = /\[hookrelay\] ready on http:\/\/[^\s/]+:(\d+) \(API/;

export type Relay = {
  /** Where it listens: a port workerd took itself, known once it is ready. */
  url: string;
  token: string;
  persistTo: string;
  child: ChildProcess;
  /** What the relay printed so far (the last 256 KiB). */
  output(): string;
  /** SIGTERM to the whole group, then SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** Kills the whole group at once (a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
};

export type RelayOptions = {
  /** Reuse a state directory (a restart after a crash); a fresh mkdtemp one by default. */
  persistTo?: string;
  /** The admin token; a random one by default. */
  token?: string;
  /** More environment for start.mjs; RELAY_* entries become Worker settings. */
  env?: Record<string, string>;
  /** Called with every whole line the relay prints (stdout and stderr), e.g. to count errors. */
  onLine?: (line: string) => void;
};

/** Process groups still running, killed if the test process exits without stopping them. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const pid of liveGroups) signalGroup(pid, "SIGKILL");
  });
}

/**
 * The state directory's encryption key, made on its first start and kept
 * beside the state, so that a restart on the same state (after a SIGKILL)
 * opens the secrets the first run sealed, as `.dev.vars` does for npm start.
 */
function encryptionKeyOf(persistTo: string): string {
  const file = join(persistTo, "encryption-key");
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString("base64"));
  return readFileSync(file, "utf8");
}

export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const persistTo = options.persistTo ?? mkdtempSync(join(tmpdir(), "hookrelay-"));
  const token = options.token ?? `hr_test_${randomBytes(16).toString("hex")}`;
  const child = spawn(process.execPath, [join(ROOT, "scripts", "start.mjs")], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...options.env,
      // Any free port, taken by workerd itself: a port picked here and handed
      // over could be taken meanwhile (a loopback connection's, in the benchmark).
      PORT: "0",
      HOST: "127.0.0.1",
      RELAY_PERSIST_TO: persistTo,
      RELAY_ADMIN_TOKEN: token,
      // Its own key unless the test brings one, so start.mjs never writes .dev.vars.
      RELAY_ENCRYPTION_KEY: options.env?.RELAY_ENCRYPTION_KEY ?? encryptionKeyOf(persistTo),
      WRANGLER_SEND_METRICS: "false",
    },
    // Its own process group: signals to -pid reach workerd too.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid !== undefined) {
    installExitHook();
    liveGroups.add(pid);
  }

  let output = "";
  /** The port, once the ready line has said it. */
  let port: number | null = null;
  const keep = (chunk: Buffer) => {
    // The last 256 KiB is plenty to see why something failed.
    output = (output + chunk.toString()).slice(-262_144);
    // On the buffer, not the chunk, so a line split across chunks still counts.
    port ??= Number(READY_LINE.exec(output)?.[1]) || null;
  };
  /** Whole lines for onLine, per stream, so that stdout and stderr never mix within a line. */
  const lines = () => {
    let rest = "";
    return (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) options.onLine?.(line);
    };
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  if (options.onLine) {
    child.stdout?.on("data", lines());
    child.stderr?.on("data", lines());
  }

  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", (error) => {
      spawnError = error;
      resolve();
    });
  });
  const hasExited = () => child.exitCode !== null || child.signalCode !== null || !!spawnError;
  /** After the leader is gone, anything left in its group (a stray workerd) goes too. */
  const reap = () => {
    signalGroup(pid, "SIGKILL");
    if (pid !== undefined) liveGroups.delete(pid);
  };

  const relay: Relay = {
    url: "",
    token,
    persistTo,
    child,
    output: () => output,
    async stop() {
      if (!hasExited()) {
        signalGroup(pid, "SIGTERM");
        const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      reap();
    },
    async kill(signal = "SIGKILL") {
      signalGroup(pid, signal);
      await exited;
      reap();
    },
  };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastProblem = "no answer yet";
  while (Date.now() < deadline && !hasExited()) {
    // Ready once the boot sweep has run too, so that a restart has recovered everything.
    if (port === null) lastProblem = "waiting for the boot sweep";
    else {
      relay.url = `http://127.0.0.1:${port}`;
      try {
        const res = await fetch(`${relay.url}/v1/health`, { signal: AbortSignal.timeout(5_000) });
        await res.body?.cancel();
        if (res.status === 200) return relay;
        lastProblem = `health ${res.status}`;
      } catch (error) {
        lastProblem = String(error);
      }
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }

  let why: string;
  if (spawnError) why = `could not be spawned: ${spawnError.message}`;
  else if (hasExited())
    why = `exited during startup (code ${child.exitCode}, signal ${child.signalCode})`;
  else why = `gave no 200 on /v1/health within ${STARTUP_TIMEOUT_MS / 1000} s (${lastProblem})`;
  await relay.kill("SIGKILL");
  const printed = output || "(nothing)";
  const message = `the relay on ${relay.url || "no port yet"} (state ${persistTo}) ${why}; it printed:\n${printed}`;
  process.stderr.write(`${message}\n`);
  throw new Error(message);
}

export type ApiAnswer = { status: number; body: any; headers: Headers };

/** A small client for the relay's API with the admin token. */
export function relayApi(relay: Pick<Relay, "url" | "token">) {
  async function call(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
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
  }

  /** Publishes a message and returns its id; throws unless it was accepted (202, a message). */
  async function publish(applicationId: string, eventType: string, payload: unknown) {
    const res = await call("POST", "/v1/messages", {
      application_id: applicationId,
      event_type: eventType,
      payload,
    });
    if (res.status !== 202 || res.body?.object !== "message")
      throw new Error(`publish: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  }

  return { call, publish };
}
