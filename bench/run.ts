/**
 * `npm run bench`: the local relay (started as `npm start` does), a receiver
 * on loopback, and a workload of N messages to an application with M
 * webhooks, a share of whose first attempts fail. Prints, and writes to
 * bench/results/<date>.json: ingest rate and latency, end-to-end delivery
 * latency and rate, the billable units each delivered event cost (counted by
 * the relay's code, GET /v1/usage) priced per million, the history's D1
 * bytes, D1 busy time and R2 per delivered event with the capacity lines and
 * the cost of keeping it for the retention period (bench/capacity.ts), the CPU seconds of the
 * relay's process tree per 1,000 deliveries, its most open file descriptors
 * and the error lines it printed; then the same workload on a bare queue
 * Worker on the same local runtime (bench/baseline-worker.ts), for ratios,
 * and a bare Node loop making the same deliveries straight to the receiver.
 *
 *   npm run bench -- --messages 2000 --webhooks 5 --concurrency 16 --fail-share 0.1
 *
 * `--batch N` publishes to the relay N messages a request (POST
 * /v1/messages/batch); the baselines still take one message a request.
 * `--floor` also runs, after the bare Worker, the floor Worker
 * (bench/floor-worker.ts): the bare Worker plus what SPEC obliges every
 * relay to pay per message (a stored accept, an object per webhook, a
 * signature and a history row per attempt), and prints the floor/bare and
 * relay/floor ratios. `--profile S` takes S seconds of CPU profile of the
 * relay's Worker isolate in the first round (bench/profile.ts). `--schema`
 * catalogues the bench's event type with a JSON Schema its payloads match
 * (SPEC §8.3), so every publish is validated; compare the ingest CPU per
 * publish with a run without it (`--webhooks 0` leaves publishing alone on
 * the relay's CPU). `--payload-bytes N` pads every payload to N bytes of
 * JSON (the history's figures are quoted with 1 KB payloads).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { createServer, type IncomingMessage } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve as resolvePath } from "node:path";
import { parseArgs } from "node:util";
import { Log, LogLevel, Miniflare } from "miniflare";
import {
  bundleWorker,
  keepLoopbackConnectionsOpen,
  workerOptionsFromConfig,
} from "../scripts/local-runtime.mjs";
import { type Relay, relayApi, startRelay } from "../test/helpers/server";
import { archiveSample, historyFigures, vacuumedHistoryBytes } from "./capacity";
import { PRICES } from "./prices";
import { childrenCpuSeconds, groupCpuSeconds, samplePeaks, watchBusiestThread } from "./procs";
import { captureCpuProfile, type CpuProfile, foldByModule } from "./profile";

/** scripts/bench.mjs runs the bundle from the project root. */
const ROOT = process.cwd();

const USAGE = `Usage: npm run bench -- [options]

  --messages N        messages published (default 10000)
  --webhooks M        webhooks of the application, each gets every message (default 5)
  --concurrency C     publish requests in flight (default 16)
  --fail-share F      share of first attempts the receiver fails, 0 to 1 (default 0.1)
  --batch B           messages a publish request, 1 to 100 (default 1: POST /v1/messages)
  --max-in-flight K   each webhook's max_in_flight (default 100)
  --rounds R          relay and bare Worker runs, taken in turn; medians reported (default 1)
  --floor             also run the floor Worker (bench/floor-worker.ts)
  --profile S         S seconds of CPU profile of the relay's Worker isolate (default 0: none)
  --schema            catalogue the bench's event type with a JSON Schema (ingest CPU with a schema)
  --payload-bytes N   pad each payload to N bytes of JSON (default 0: the bare ~100-byte payload)
  --label TEXT        a label kept in the results file
  --log-level LEVEL   the relay's RELAY_LOG_LEVEL (default warn)
  --out FILE          where the results go (default bench/results/<date>.json)
  -h, --help          this text

Method and current figures: docs/BENCHMARKS.md.
`;

function readArgs() {
  try {
    return parseArgs({
      options: {
        messages: { type: "string", default: "10000" },
        webhooks: { type: "string", default: "5" },
        concurrency: { type: "string", default: "16" },
        "fail-share": { type: "string", default: "0.1" },
        label: { type: "string", default: "" },
        "log-level": { type: "string", default: "warn" },
        out: { type: "string" },
        batch: { type: "string", default: "1" },
        "max-in-flight": { type: "string", default: "100" },
        rounds: { type: "string", default: "1" },
        floor: { type: "boolean", default: false },
        profile: { type: "string", default: "0" },
        schema: { type: "boolean", default: false },
        "payload-bytes": { type: "string", default: "0" },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (error) {
    // An unknown or malformed option: say which, and how to ask for the rest.
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(2);
  }
}

const args = readArgs();
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const MESSAGES = Number(args.messages);
const WEBHOOKS = Number(args.webhooks);
const CONCURRENCY = Number(args.concurrency);
/** Messages per publish request to the relay (1: POST /v1/messages). */
const BATCH = Math.max(1, Math.min(100, Number(args.batch)));
const FAIL_SHARE = Number(args["fail-share"]);
/**
 * Each webhook's `max_in_flight`. The default is SPEC's largest, 100: the
 * bare queue Worker POSTs a whole batch (up to 100 messages) to every
 * receiver path at once, so anything less compares the relay with fewer
 * attempts in flight than its baseline.
 */
const MAX_IN_FLIGHT = Number(args["max-in-flight"]);
/**
 * Relay and bare Worker runs, taken in turn. On a shared machine one pair's
 * ratios swing with the neighbours; the medians over several pairs do not.
 */
const ROUNDS = Math.max(1, Math.floor(Number(args.rounds)));
const DELIVERIES = MESSAGES * WEBHOOKS;
/**
 * `--profile S`: S seconds of CPU profile of the relay's Worker isolate in
 * the first round, from this long after publishing starts (the middle of a
 * default run, when publishes and deliveries run side by side).
 */
const PROFILE_SECONDS = Math.max(0, Number(args.profile) || 0);
const PROFILE_DELAY_MS = 10_000;
const RETRY_SECONDS = 1;
/** `--payload-bytes`: each payload's JSON padded to this size (0: not padded). */
const PAYLOAD_BYTES = Math.max(0, Math.floor(Number(args["payload-bytes"]) || 0));

type Summary = { p50: number; p99: number; mean: number };

function summarise(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return { p50: round(at(0.5)), p99: round(at(0.99)), mean: round(mean) };
}

function round(n: number, digits = 2): number {
  return Number(n.toFixed(digits));
}

/** Whether this delivery's first attempt should fail: a stable hash of its id. */
function failsFirst(id: string): boolean {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return (h >>> 0) / 2 ** 32 < FAIL_SHARE;
}

/**
 * The receiver: answers 500 to the first attempt of a stable share of
 * deliveries, 200 otherwise, records when each delivery first succeeded, and
 * counts duplicates: a delivery received again after it succeeded (at least
 * once allows them, with the same webhook-id).
 */
async function startBenchReceiver() {
  const firstSuccess = new Map<string, number>();
  const attempted = new Set<string>();
  let requests = 0;
  let duplicates = 0;
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests += 1;
      const id = String(req.headers["webhook-id"] ?? req.headers["x-delivery-id"]);
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { sent_at: number };
      if (failsFirst(id) && !attempted.has(id)) {
        attempted.add(id);
        res.writeHead(500, { "content-length": "0" }).end();
        return;
      }
      if (firstSuccess.has(id)) duplicates += 1;
      else firstSuccess.set(id, Date.now() - body.sent_at);
      // With its length, as Express or Fastify answer a short body.
      res.writeHead(200, { "content-length": "2" }).end("ok");
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    firstSuccess,
    /** What arrived: distinct deliveries that succeeded, their duplicates, and every request. */
    tally: () => ({ delivered: firstSuccess.size, duplicates, receiver_requests: requests }),
    reset() {
      firstSuccess.clear();
      attempted.clear();
      requests = 0;
      duplicates = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type BenchReceiver = Awaited<ReturnType<typeof startBenchReceiver>>;

function progress(label: string, done: number, total: number) {
  if (!process.stderr.isTTY && done !== total && done % Math.ceil(total / 10) !== 0) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  const line = `${label.padEnd(10)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`;
  process.stderr.write(
    process.stderr.isTTY ? `\r${line}${done === total ? "\n" : ""}` : `${line}\n`,
  );
}

/**
 * Counts the lines of a runtime's output that report an error: the relay's
 * JSON lines at level "error", and any other line that says error,
 * exception or uncaught (workerd, Miniflare, Node). Keeps a few as samples.
 */
function errorCounter() {
  let count = 0;
  const samples: string[] = [];
  return {
    line(line: string) {
      let isError: boolean;
      try {
        const parsed = JSON.parse(line) as { level?: unknown };
        isError = parsed?.level === "error";
      } catch {
        isError = /\b(error|exception|uncaught|fatal)\b/i.test(line);
      }
      if (!isError) return;
      count += 1;
      if (samples.length < 5) samples.push(line.slice(0, 300));
    },
    result: () => ({ error_lines: count, error_line_samples: samples }),
  };
}

async function waitForDeliveries(receiver: BenchReceiver, total: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  while (receiver.firstSuccess.size < total) {
    if (Date.now() > deadline)
      throw new Error(`only ${receiver.firstSuccess.size}/${total} delivered in time`);
    if (receiver.firstSuccess.size !== last) {
      last = receiver.firstSuccess.size;
      progress("delivered", last, total);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  progress("delivered", total, total);
}

type Usage = Record<string, number | Record<string, number>>;

function diffUsage(after: Usage, before: Usage): Record<string, number> {
  const flat = (u: Usage) => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(u)) {
      if (typeof v === "number") out[k] = v;
      else for (const [k2, v2] of Object.entries(v)) out[`${k}.${k2}`] = v2;
    }
    return out;
  };
  const a = flat(after);
  const b = flat(before);
  return Object.fromEntries(Object.keys(a).map((k) => [k, (a[k] ?? 0) - (b[k] ?? 0)]));
}

type Published = {
  requests_per_second: number;
  messages_per_second: number;
  messages_per_request: number;
  latency_ms: Summary;
  retried_publishes: number;
  retried_because: Record<string, { count: number; sample: string }>;
};

/**
 * Publishes the N messages at `--concurrency`, each with an idempotency key;
 * `body(i)` is the request body, stamped with the time it is sent. Returns
 * when all were accepted, with the rate and latency.
 */
async function publishAll(
  url: string,
  headers: Record<string, string>,
  body: (i: number) => string,
  perRequest = 1,
): Promise<Published> {
  const ingestLatencies: number[] = [];
  const started = Date.now();
  let published = 0;
  let publishRetries = 0;
  const retriedBecause: Record<string, { count: number; sample: string }> = {};
  const publishing = limiter(CONCURRENCY);
  const publishOne = async (i: number) => {
    const t0 = performance.now();
    // A batch carries messages i … i + perRequest - 1, each keyed in its body.
    const text =
      perRequest === 1
        ? body(i)
        : `{"messages":[${Array.from({ length: Math.min(perRequest, MESSAGES - i) }, (_, j) => body(i + j)).join(",")}]}`;
    // As a careful client would: an idempotency key, and a retry when the
    // local server drops a request.
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          ...headers,
          "content-type": "application/json",
          ...(perRequest === 1 ? { "idempotency-key": `bench-${i}` } : {}),
        },
        body: text,
      }).catch(() => null);
      const answer = res ? await res.text() : "no response";
      // A batch is 200 as a whole; an item refused by the relay would show in its entries.
      if (res && (res.status === 202 || res.status === 200) && batchAccepted(answer, perRequest)) break;
      if (attempt >= 5) throw new Error(`publish answered ${res?.status}: ${answer.slice(0, 500)}`);
      publishRetries += 1;
      const why = res ? String(res.status) : "no response";
      retriedBecause[why] ??= { count: 0, sample: answer.slice(0, 200) };
      retriedBecause[why].count += 1;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
    ingestLatencies.push(performance.now() - t0);
    published += Math.min(perRequest, MESSAGES - i);
    progress("published", published, MESSAGES);
  };
  const starts = Array.from({ length: Math.ceil(MESSAGES / perRequest) }, (_, k) => k * perRequest);
  await Promise.all(starts.map((i) => publishing(() => publishOne(i))));
  const seconds = (Date.now() - started) / 1000;
  return {
    requests_per_second: round(starts.length / seconds),
    messages_per_second: round(MESSAGES / seconds),
    messages_per_request: perRequest,
    latency_ms: summarise(ingestLatencies),
    retried_publishes: publishRetries,
    retried_because: retriedBecause,
  };
}

/** Whether a batch's answer accepted every item (a single publish's 2xx always does). */
function batchAccepted(answer: string, perRequest: number): boolean {
  if (perRequest === 1) return true;
  const entries = (JSON.parse(answer) as { data: { status: number }[] }).data;
  return entries.every((e) => e.status === 202 || e.status === 200);
}

/** The payload each message carries, the same for the relay and the baselines; padded to `--payload-bytes`. */
function payload(i: number) {
  const body = { i, sent_at: Date.now(), amount: 1000, currency: "NGN", note: "benchmark payload" };
  const short = JSON.stringify({ ...body, pad: "" }).length;
  return PAYLOAD_BYTES > short ? { ...body, pad: "x".repeat(PAYLOAD_BYTES - short) } : body;
}

/** `--schema`: what the bench's payloads are held to, of the kind a provider would write. */
const PAYLOAD_SCHEMA = {
  type: "object",
  required: ["i", "sent_at", "amount", "currency", "note"],
  properties: {
    i: { type: "integer", minimum: 0 },
    sent_at: { type: "integer", minimum: 0 },
    amount: { type: "integer", minimum: 1 },
    currency: { type: "string", pattern: "^[A-Z]{3}$" },
    note: { type: "string", maxLength: 200 },
    pad: { type: "string" },
  },
  additionalProperties: false,
};

/** Catalogues the bench's event type, with PAYLOAD_SCHEMA under `--schema`, without one otherwise. */
async function catalogue(api: ReturnType<typeof relayApi>): Promise<void> {
  const schema = args.schema ? PAYLOAD_SCHEMA : null;
  const created = await api.call("POST", "/v1/event-types", { name: "bench.event", schema });
  // A later round on the same relay finds it there.
  const res = created.status === 409 ? await api.call("PATCH", "/v1/event-types/bench.event", { schema }) : created;
  if (res.status !== 201 && res.status !== 200) throw new Error(`event type: ${res.status}`);
}

/** Where to take `--profile`'s profile from: the relay's inspector and its Worker's isolate. */
type ProfileSource = { inspectorPort: number; target: string };

async function runRelay(relay: Relay, receiver: BenchReceiver, profileFrom: ProfileSource | null) {
  // A round after the first finds the bare Worker's deliveries counted here.
  receiver.reset();
  const api = relayApi(relay);
  const app = (
    await api.call("POST", "/v1/applications", { name: "bench", webhook_limit: Math.max(1, WEBHOOKS) })
  ).body;
  await catalogue(api);
  const webhookIds: string[] = [];
  for (let w = 0; w < WEBHOOKS; w++) {
    const res = await api.call("POST", "/v1/webhooks", {
      application_id: app.id,
      url: `${receiver.url}/hook/${w}`,
      max_in_flight: MAX_IN_FLIGHT,
      retry_policy: { schedule_seconds: [RETRY_SECONDS, RETRY_SECONDS, RETRY_SECONDS] },
    });
    webhookIds.push(res.body.id);
  }
  const usageQuery = webhookIds.map((id) => `webhook_id=${id}`).join("&");
  const usageBefore = (await api.call("GET", `/v1/usage?${usageQuery}`)).body as Usage;
  const storageBefore = await historyStorage(api, relay.persistTo);
  const cpuBefore = groupCpuSeconds(relay.child.pid!);
  const workerdCpuBefore = groupCpuSeconds(relay.child.pid!, true);

  const fds = samplePeaks(() => relay.child.pid);
  const thread = watchBusiestThread((fields) => Number(fields[2]) === relay.child.pid);
  const started = Date.now();
  const profiling = profileFrom
    ? captureCpuProfile({
        ...profileFrom,
        delayMs: PROFILE_DELAY_MS,
        seconds: PROFILE_SECONDS,
      }).catch((error: unknown) => {
        process.stderr.write(`the profile failed: ${String(error)}\n`);
        return null;
      })
    : null;
  const ingestCpuBefore = groupCpuSeconds(relay.child.pid!, true);
  const published = await publishAll(
    `${relay.url}/v1/messages${BATCH > 1 ? "/batch" : ""}`,
    { authorization: `Bearer ${relay.token}` },
    (i) =>
      JSON.stringify({
        application_id: app.id,
        event_type: "bench.event",
        payload: payload(i),
        // In a batch each item carries its key; alone, the header does.
        ...(BATCH > 1 ? { idempotency_key: `bench-${i}` } : {}),
      }),
    BATCH,
  );
  // The relay's workerd while publishing: with --webhooks 0, the ingest path alone.
  const ingest = {
    ...published,
    workerd_cpu_ms_per_publish: round(((groupCpuSeconds(relay.child.pid!, true) - ingestCpuBefore) / MESSAGES) * 1000, 3),
  };
  await waitForDeliveries(receiver, DELIVERIES, 30 * 60_000);
  const deliverySeconds = (Date.now() - started) / 1000;
  const profile: CpuProfile | null = (await profiling) ?? null;
  const cpuSeconds = groupCpuSeconds(relay.child.pid!) - cpuBefore;
  const workerdCpuSeconds = groupCpuSeconds(relay.child.pid!, true) - workerdCpuBefore;
  const busiestThread = thread.stop();
  const openFds = fds.stop();
  // Let the last attempts' records land before reading the counters.
  await new Promise((r) => setTimeout(r, 1500));
  const usage = diffUsage(
    (await api.call("GET", `/v1/usage?${usageQuery}`)).body as Usage,
    usageBefore,
  );
  const storageAfter = await historyStorage(api, relay.persistTo);
  return {
    history: {
      storage: { before: storageBefore, after: storageAfter },
      archive: await archivedSample(api, webhookIds),
    },
    profile,
    ingest,
    open_fds: openFds,
    delivery: {
      deliveries_per_second: round(DELIVERIES / deliverySeconds),
      end_to_end_latency_ms: summarise([...receiver.firstSuccess.values()]),
      ...receiver.tally(),
    },
    cpu_seconds_per_1000_deliveries: round((cpuSeconds / DELIVERIES) * 1000, 3),
    // The comparisons run no Node process of their own: this is what compares with theirs.
    workerd_cpu_seconds_per_1000_deliveries: round((workerdCpuSeconds / DELIVERIES) * 1000, 3),
    workerd_busiest_thread_share: busiestThread,
    usage,
  };
}

/** The history shards as the relay reports them (GET /v1/operations/storage), and their files vacuumed. */
async function historyStorage(api: ReturnType<typeof relayApi>, persistTo: string) {
  const report = (await api.call("GET", "/v1/operations/storage")).body as {
    databases: { name: string; bytes: number; limit_bytes: number }[];
  };
  return {
    reported_bytes: report.databases.reduce((n, d) => n + d.bytes, 0),
    vacuumed_bytes: vacuumedHistoryBytes(persistTo),
    limits: report.databases.map((d) => d.limit_bytes),
  };
}

/** A sample of the run's events and messages, read back through the API, as the archive would store them. */
async function archivedSample(api: ReturnType<typeof relayApi>, webhookIds: string[]) {
  const events = (await api.call("GET", `/v1/events?webhook_id=${webhookIds[0]}&limit=100`)).body.data as any[];
  // One at a time: the local server is not to be flooded after the run.
  const messages: any[] = [];
  const attempts: any[][] = [];
  for (const e of events) {
    if (messages.length < 50) messages.push((await api.call("GET", `/v1/messages/${e.message_id}`)).body);
    attempts.push((await api.call("GET", `/v1/events/${e.id}/attempts`)).body.data);
  }
  return archiveSample(
    events.map((e, i) => ({
      webhookId: e.webhook_id,
      id: e.id,
      messageId: e.message_id,
      type: e.type,
      deliveryStatus: e.delivery_status,
      deliveryAttempts: e.delivery_attempts,
      maxAttempts: e.max_attempts,
      httpStatusCode: e.http_status_code,
      errorMessage: e.error_message,
      nextAttemptAt: null,
      attemptLog: attempts[i]!.map((a) => ({
        id: a.id,
        attempt: a.attempt,
        startedAt: a.started_at,
        durationMs: a.duration_ms,
        httpStatusCode: a.http_status_code,
        responseBody: a.response_body,
        errorMessage: a.error_message,
      })),
      createdAt: e.created_at,
      updatedAt: e.updated_at,
    })),
    messages.map((m) => ({
      id: m.id,
      applicationId: m.application_id,
      eventType: m.event_type,
      payload: JSON.stringify(m.payload),
      idempotencyKey: m.idempotency_key,
      resourceType: null,
      resourceId: null,
      createdAt: m.created_at,
      webhookIds: (m.events as any[]).map((e) => e.webhook_id),
    })),
  );
}

/** A Worker the relay is measured against, on the same runtime. */
type Comparison = {
  /** Its module, under bench/. */
  file: string;
  /** Whatever it binds beyond the queue, the receiver and the webhook count. */
  options?: Record<string, unknown>;
};

const BARE_WORKER: Comparison = { file: "baseline-worker.ts" };
/** The floor (bench/floor-worker.ts): its object and D1 persist to disk, as the relay's do. */
const FLOOR_WORKER = (): Comparison => ({
  file: "floor-worker.ts",
  options: {
    durableObjects: {
      INGEST: { className: "FloorIngest", useSQLite: true },
      WEBHOOK: { className: "FloorWebhook", useSQLite: true },
    },
    d1Databases: { DB: "bench-floor" },
    defaultPersistRoot: mkdtempSync(join(tmpdir(), "hookrelay-floor-")),
  },
});

/**
 * The same workload on a comparison Worker (the bare queue Worker, or the
 * floor), on the same local runtime as the relay, with the relay's queue
 * consumer settings from wrangler.toml: same messages, receiver and
 * concurrency. Miniflare runs in this process, as `npm start` runs it in its own.
 */
async function runComparison(receiver: BenchReceiver, comparison: Comparison) {
  receiver.reset();
  const { workerOptions } = await workerOptionsFromConfig(join(ROOT, "wrangler.toml"));
  const consumer = Object.values(workerOptions.queueConsumers ?? {})[0] as
    | { maxBatchSize?: number; maxBatchTimeout?: number }
    | undefined;
  const errors = errorCounter();
  const lines = (stream: Readable) => {
    let rest = "";
    stream.on("data", (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) errors.line(line);
    });
  };
  const entry = join(ROOT, "bench", comparison.file);
  const queueName = `bench-${comparison.file.replace(/\.ts$/, "")}`;
  keepLoopbackConnectionsOpen();
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    cf: false,
    logRequests: false,
    log: new Log(LogLevel.WARN),
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      lines(stdout);
      lines(stderr);
    },
    name: queueName,
    compatibilityDate: workerOptions.compatibilityDate,
    modulesRoot: dirname(entry),
    modules: [
      { type: "ESModule", path: entry.replace(/\.ts$/, ".js"), contents: await bundleWorker(entry) },
    ],
    bindings: { RECEIVER_URL: receiver.url, WEBHOOKS: String(WEBHOOKS) },
    queueProducers: { QUEUE: { queueName } },
    queueConsumers: {
      [queueName]: {
        maxBatchSize: consumer?.maxBatchSize,
        maxBatchTimeout: consumer?.maxBatchTimeout,
      },
    },
    ...comparison.options,
  });
  try {
    const url = await mf.ready;
    const started = Date.now();
    const cpuBefore = childrenCpuSeconds();
    const thread = watchBusiestThread((fields) => Number(fields[1]) === process.pid);
    const ingest = await publishAll(new URL("/publish", url).href, {}, (i) =>
      JSON.stringify(payload(i)),
    );
    await waitForDeliveries(receiver, DELIVERIES, 30 * 60_000);
    const seconds = (Date.now() - started) / 1000;
    const cpuPer1000 = round(((childrenCpuSeconds() - cpuBefore) / DELIVERIES) * 1000, 3);
    const busiestThread = thread.stop();
    return {
      ingest,
      delivery: {
        deliveries_per_second: round(DELIVERIES / seconds),
        end_to_end_latency_ms: summarise([...receiver.firstSuccess.values()]),
        ...receiver.tally(),
      },
      // Its workerd is all of its CPU: no Node process of its own.
      cpu_seconds_per_1000_deliveries: cpuPer1000,
      workerd_cpu_seconds_per_1000_deliveries: cpuPer1000,
      workerd_busiest_thread_share: busiestThread,
      ...errors.result(),
    };
  } finally {
    await mf.dispose();
    const state = comparison.options?.defaultPersistRoot;
    if (typeof state === "string") rmSync(state, { recursive: true, force: true });
  }
}

/**
 * The same deliveries by a bare Node loop, straight to the receiver, with the
 * same retry. At most `--concurrency` requests are in flight; a delivery
 * waiting for its retry holds no slot, as in the relay.
 */
async function runBaseline(receiver: BenchReceiver) {
  receiver.reset();
  const started = Date.now();
  const inFlight = limiter(CONCURRENCY);
  let done = 0;
  await Promise.all(
    Array.from({ length: DELIVERIES }, async (_, i) => {
      const id = `baseline-${i}`;
      let body: string | undefined;
      for (let attempt = 0; attempt < 4; attempt++) {
        const ok = await inFlight(async () => {
          // Stamped when first sent, as the relay's messages are when published.
          body ??= JSON.stringify({
            i,
            sent_at: Date.now(),
            amount: 1000,
            currency: "NGN",
            note: "benchmark payload",
          });
          const res = await fetch(`${receiver.url}/direct`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-delivery-id": id },
            body,
          });
          await res.arrayBuffer();
          return res.ok;
        });
        if (ok) break;
        await new Promise((r) => setTimeout(r, RETRY_SECONDS * 1000));
      }
      progress("baseline", ++done, DELIVERIES);
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  return {
    deliveries_per_second: round(DELIVERIES / seconds),
    end_to_end_latency_ms: summarise([...receiver.firstSuccess.values()]),
  };
}

/** Runs tasks with at most `concurrency` at once; a finished task hands its slot on. */
function limiter(concurrency: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < concurrency) active += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}

type Units = {
  worker_requests: number;
  queue_operations: number;
  do_requests: number;
  do_gb_seconds: number;
  do_rows_read: number;
  do_rows_written: number;
  d1_rows_read: number;
  d1_rows_written: number;
  history_rows_read: number;
  history_rows_written: number;
  subrequests: number;
};

function perDelivery(usage: Record<string, number>): Units {
  const per = (n: number | undefined) => round((n ?? 0) / DELIVERIES, 4);
  return {
    worker_requests: per(usage.workerRequests),
    queue_operations: per(usage.queueOperations),
    do_requests: per(usage.doRequests),
    do_gb_seconds: round((((usage.doActiveMs ?? 0) / 1000) * PRICES.doMemoryGb) / DELIVERIES, 6),
    do_rows_read: per(usage.doRowsRead),
    do_rows_written: per(usage.doRowsWritten),
    d1_rows_read: per(usage["d1.rowsRead"]),
    d1_rows_written: per(usage["d1.rowsWritten"]),
    history_rows_read: per(usage["history.rowsRead"]),
    history_rows_written: per(usage["history.rowsWritten"]),
    subrequests: per(usage.subrequests),
  };
}

/** The operations' cost per million delivered events; `retention`, what keeping the history costs (bench/capacity.ts). */
function costPerMillion(units: Units, retention: { total: number }) {
  const p = PRICES.perUnit;
  const breakdown = {
    worker_requests: units.worker_requests * p.workerRequest * 1e6,
    queue_operations: units.queue_operations * p.queueOperation * 1e6,
    do_requests: units.do_requests * p.doRequest * 1e6,
    do_duration: units.do_gb_seconds * p.doGbSecond * 1e6,
    do_rows_read: units.do_rows_read * p.doRowRead * 1e6,
    do_rows_written: units.do_rows_written * p.doRowWritten * 1e6,
    d1_rows_read: units.d1_rows_read * p.d1RowRead * 1e6,
    d1_rows_written: units.d1_rows_written * p.d1RowWritten * 1e6,
    history_rows_read: units.history_rows_read * p.d1RowRead * 1e6,
    history_rows_written: units.history_rows_written * p.d1RowWritten * 1e6,
    history_retention: retention.total,
  };
  const total = Object.values(breakdown).reduce((a, b) => a + b, 0);
  return {
    usd_per_million_delivered_events: round(total, 4),
    breakdown_usd: Object.fromEntries(Object.entries(breakdown).map(([k, v]) => [k, round(v, 4)])),
    prices_as_of: PRICES.asOf,
  };
}

/** A fresh relay, as `npm start` starts it, through the whole workload. */
async function relayRun(
  receiver: BenchReceiver,
  errors: ReturnType<typeof errorCounter>,
  /** The Worker's name, to profile its isolate (`--profile`); null for no profile. */
  profiledWorker: string | null,
) {
  process.stderr.write(`starting the relay (as npm start does)…\n`);
  const profileFrom = profiledWorker
    ? { inspectorPort: await freePort(), target: `core:user:${profiledWorker}` }
    : null;
  const relay = await startRelay({
    env: {
      RELAY_LOG_LEVEL: args["log-level"],
      ...(profileFrom ? { INSPECTOR_PORT: String(profileFrom.inspectorPort) } : {}),
    },
    onLine: errors.line,
  });
  try {
    return await runRelay(relay, receiver, profileFrom);
  } catch (error) {
    process.stderr.write(`${relay.output().slice(-3000)}\n`);
    throw error;
  } finally {
    await relay.stop();
  }
}

/** A port free a moment ago, for the relay's inspector (start.mjs takes a number, not 0). */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const ratio = (relay: number, base: number, digits = 3) =>
  round(relay / Math.max(0.01, base), digits);

type RelayResult = Awaited<ReturnType<typeof runRelay>>;
type WorkerResult = Awaited<ReturnType<typeof runComparison>>;
/** What a ratio compares: a run's delivery figures and CPU. */
type Measured = Pick<
  RelayResult,
  | "delivery"
  | "cpu_seconds_per_1000_deliveries"
  | "workerd_cpu_seconds_per_1000_deliveries"
  | "workerd_busiest_thread_share"
>;

/** A run's figures as a round lists them. */
function roundFigures(run: Measured) {
  return {
    ...run.delivery,
    cpu_seconds_per_1000_deliveries: run.cpu_seconds_per_1000_deliveries,
    workerd_cpu_seconds_per_1000_deliveries: run.workerd_cpu_seconds_per_1000_deliveries,
    workerd_busiest_thread_share: run.workerd_busiest_thread_share,
  };
}

function ratiosToWorker(relay: Measured, worker: Measured) {
  return {
    deliveries_per_second: ratio(
      relay.delivery.deliveries_per_second,
      worker.delivery.deliveries_per_second,
    ),
    end_to_end_latency_p50: ratio(
      relay.delivery.end_to_end_latency_ms.p50,
      worker.delivery.end_to_end_latency_ms.p50,
      2,
    ),
    end_to_end_latency_p99: ratio(
      relay.delivery.end_to_end_latency_ms.p99,
      worker.delivery.end_to_end_latency_ms.p99,
      2,
    ),
    // Steadier than the rates on a shared machine: what one delivery costs each on the same runtime.
    cpu_seconds_per_delivery: ratio(
      relay.cpu_seconds_per_1000_deliveries,
      worker.cpu_seconds_per_1000_deliveries,
      2,
    ),
    workerd_cpu_seconds_per_delivery: ratio(
      relay.workerd_cpu_seconds_per_1000_deliveries,
      worker.workerd_cpu_seconds_per_1000_deliveries,
      2,
    ),
  };
}

type Ratios = ReturnType<typeof ratiosToWorker>;

function medianRatios(all: Ratios[]): Ratios {
  const median = (key: keyof Ratios) => {
    const sorted = all.map((r) => r[key]).sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid]! : round((sorted[mid - 1]! + sorted[mid]!) / 2, 3);
  };
  const keys = Object.keys(all[0]!) as (keyof Ratios)[];
  return Object.fromEntries(keys.map((key) => [key, median(key)])) as Ratios;
}

async function main() {
  const receiver = await startBenchReceiver();
  const { config } = await workerOptionsFromConfig(join(ROOT, "wrangler.toml"));
  // Info lines (one per request and per attempt) cost the local runtime more
  // than the relay's own work; production ships them asynchronously.
  const relayErrors = errorCounter();
  const rounds: {
    relay: RelayResult;
    worker: WorkerResult;
    ratios: Ratios;
    floor: { result: WorkerResult; relayToFloor: Ratios; floorToWorker: Ratios } | null;
  }[] = [];
  for (let n = 1; n <= ROUNDS; n++) {
    if (ROUNDS > 1) process.stderr.write(`round ${n} of ${ROUNDS}\n`);
    const relay = await relayRun(
      receiver,
      relayErrors,
      n === 1 && PROFILE_SECONDS > 0 ? config.name : null,
    );
    process.stderr.write(`the bare queue Worker on the same runtime…\n`);
    const worker = await runComparison(receiver, BARE_WORKER);
    let floor = null;
    if (args.floor) {
      process.stderr.write(`the floor Worker on the same runtime…\n`);
      const result = await runComparison(receiver, FLOOR_WORKER());
      floor = {
        result,
        relayToFloor: ratiosToWorker(relay, result),
        floorToWorker: ratiosToWorker(result, worker),
      };
    }
    rounds.push({ relay, worker, ratios: ratiosToWorker(relay, worker), floor });
  }
  // The figures below are the last round's; `rounds` has them all.
  const { relay: relayResult, worker: workerBaseline, floor: lastFloor } = rounds[rounds.length - 1]!;
  const floors = rounds.flatMap((r) => (r.floor ? [r.floor] : []));
  const floorMedians =
    floors.length > 0
      ? {
          relay_to_floor: medianRatios(floors.map((f) => f.relayToFloor)),
          floor_to_worker_baseline: medianRatios(floors.map((f) => f.floorToWorker)),
        }
      : null;
  process.stderr.write(`the bare Node loop…\n`);
  const baseline = await runBaseline(receiver);
  await receiver.close();
  const medians = ROUNDS > 1 ? medianRatios(rounds.map((r) => r.ratios)) : null;
  const units = perDelivery(relayResult.usage);
  const history = historyOf(relayResult, config.vars ?? {});
  const result = {
    date: new Date().toISOString(),
    label: args.label,
    machine: {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? "unknown",
      memory_gb: round(totalmem() / 2 ** 30, 1),
      node: process.version,
    },
    workload: {
      messages: MESSAGES,
      webhooks: WEBHOOKS,
      deliveries: DELIVERIES,
      concurrency: CONCURRENCY,
      fail_share: FAIL_SHARE,
      retry_seconds: RETRY_SECONDS,
      max_in_flight: MAX_IN_FLIGHT,
      messages_per_publish_request: BATCH,
      payload_bytes: JSON.stringify(payload(0)).length,
    },
    runtime: "miniflare (scripts/start.mjs), no wrangler dev",
    ingest: relayResult.ingest,
    delivery: relayResult.delivery,
    cpu_seconds_per_1000_deliveries: relayResult.cpu_seconds_per_1000_deliveries,
    workerd_cpu_seconds_per_1000_deliveries: relayResult.workerd_cpu_seconds_per_1000_deliveries,
    workerd_busiest_thread_share: relayResult.workerd_busiest_thread_share,
    open_fds: relayResult.open_fds,
    ...relayErrors.result(),
    units_per_delivered_event: units,
    // What one published message costs in the units a batch divides.
    units_per_message: {
      worker_requests: round(units.worker_requests * WEBHOOKS, 4),
      queue_operations: round(units.queue_operations * WEBHOOKS, 4),
      do_requests: round(units.do_requests * WEBHOOKS, 4),
    },
    cost: costPerMillion(units, history.retention_usd_per_million_delivered_events),
    d1_queries_per_delivered_event: {
      main_database: round((relayResult.usage["d1.queries"] ?? 0) / DELIVERIES, 4),
      history_shards: round((relayResult.usage["history.queries"] ?? 0) / DELIVERIES, 4),
    },
    history,
    worker_baseline: workerBaseline,
    ratio_relay_to_worker_baseline: ratiosToWorker(relayResult, workerBaseline),
    ...(lastFloor
      ? {
          floor_worker: lastFloor.result,
          ratio_relay_to_floor: lastFloor.relayToFloor,
          ratio_floor_to_worker_baseline: lastFloor.floorToWorker,
        }
      : {}),
    ...(medians
      ? {
          rounds: rounds.map(({ relay, worker, ratios, floor }) => ({
            relay: { ...roundFigures(relay), max_open_fds: relay.open_fds.max_open_fds },
            worker_baseline: roundFigures(worker),
            ratio_relay_to_worker_baseline: ratios,
            ...(floor
              ? {
                  floor_worker: roundFigures(floor.result),
                  ratio_relay_to_floor: floor.relayToFloor,
                  ratio_floor_to_worker_baseline: floor.floorToWorker,
                }
              : {}),
          })),
          ratio_medians: medians,
          ...(floorMedians ? { ratio_medians_floor: floorMedians } : {}),
        }
      : {}),
    node_loop_baseline: baseline,
    ratio_relay_to_node_loop: {
      deliveries_per_second: ratio(
        relayResult.delivery.deliveries_per_second,
        baseline.deliveries_per_second,
      ),
      end_to_end_latency_p50: ratio(
        relayResult.delivery.end_to_end_latency_ms.p50,
        baseline.end_to_end_latency_ms.p50,
        1,
      ),
    },
    raw_usage: relayResult.usage,
  };
  const out =
    args.out ??
    join(process.cwd(), "bench", "results", `${result.date.replace(/[:.]/g, "-")}.json`);
  mkdirSync(dirname(out), { recursive: true });
  const profiled = await relayProfile(
    rounds[0]!.relay.profile,
    resolvePath(ROOT, config.main ?? "src/index.ts"),
    out.replace(/\.json$/, ""),
  );
  const written = { ...result, ...profiled?.json };
  writeFileSync(out, `${JSON.stringify(written, null, 2)}\n`);
  console.log(JSON.stringify(written, null, 2));
  const r = result.ratio_relay_to_worker_baseline;
  const d = result.delivery;
  const w = workerBaseline.delivery;
  console.log(
    [
      "",
      `ingest: ${result.ingest.messages_per_second} messages/s (${BATCH} a request), p50 ${result.ingest.latency_ms.p50} ms, p99 ${result.ingest.latency_ms.p99} ms, relay workerd CPU ${result.ingest.workerd_cpu_ms_per_publish} ms per publish${args.schema ? " (payloads checked against a schema)" : ""}`,
      `per message: ${result.units_per_message.queue_operations} queue operations, ${result.units_per_message.worker_requests} Worker requests`,
      `rows written per delivered event: D1 ${units.d1_rows_written} (main) + ${units.history_rows_written} (history shards), DO ${units.do_rows_written}; D1 queries per delivered event ${result.d1_queries_per_delivered_event.main_database} + ${result.d1_queries_per_delivered_event.history_shards}`,
      `relay:            ${d.deliveries_per_second} deliveries/s, publish→receipt p50 ${d.end_to_end_latency_ms.p50} ms, p99 ${d.end_to_end_latency_ms.p99} ms`,
      `bare queue Worker: ${w.deliveries_per_second} deliveries/s, publish→receipt p50 ${w.end_to_end_latency_ms.p50} ms, p99 ${w.end_to_end_latency_ms.p99} ms`,
      `delivered: relay ${d.delivered} of ${DELIVERIES}, ${d.duplicates} duplicates; bare Worker ${w.delivered}, ${w.duplicates} duplicates`,
      `relay / bare Worker: deliveries/s ×${r.deliveries_per_second}, p50 ×${r.end_to_end_latency_p50}, p99 ×${r.end_to_end_latency_p99}`,
      ...(lastFloor
        ? [
            `floor Worker:      ${lastFloor.result.delivery.deliveries_per_second} deliveries/s, publish→receipt p50 ${lastFloor.result.delivery.end_to_end_latency_ms.p50} ms, ${lastFloor.result.delivery.delivered} delivered, ${lastFloor.result.delivery.duplicates} duplicates`,
            `floor / bare Worker: deliveries/s ×${lastFloor.floorToWorker.deliveries_per_second}, p50 ×${lastFloor.floorToWorker.end_to_end_latency_p50}, CPU per delivery ×${lastFloor.floorToWorker.cpu_seconds_per_delivery}; relay / floor: deliveries/s ×${lastFloor.relayToFloor.deliveries_per_second}, CPU per delivery ×${lastFloor.relayToFloor.cpu_seconds_per_delivery}`,
          ]
        : []),
      ...(medians
        ? [
            ...rounds.map(
              ({ relay, worker, ratios }, i) =>
                `round ${i + 1}: relay ${relay.delivery.deliveries_per_second} deliveries/s, ${relay.delivery.delivered} delivered, ${relay.delivery.duplicates} duplicates, ${relay.open_fds.max_open_fds} descriptors; relay / bare Worker: deliveries/s ×${ratios.deliveries_per_second}, p50 ×${ratios.end_to_end_latency_p50}; busiest thread ${relay.workerd_busiest_thread_share} / ${worker.workerd_busiest_thread_share}`,
            ),
            `median over ${ROUNDS} rounds, relay / bare Worker: deliveries/s ×${medians.deliveries_per_second}, p50 ×${medians.end_to_end_latency_p50}, p99 ×${medians.end_to_end_latency_p99}, CPU per delivery ×${medians.cpu_seconds_per_delivery}`,
            ...(floorMedians
              ? [
                  `median over ${ROUNDS} rounds, floor / bare Worker: deliveries/s ×${floorMedians.floor_to_worker_baseline.deliveries_per_second}, CPU per delivery ×${floorMedians.floor_to_worker_baseline.cpu_seconds_per_delivery}; relay / floor: deliveries/s ×${floorMedians.relay_to_floor.deliveries_per_second}, CPU per delivery ×${floorMedians.relay_to_floor.cpu_seconds_per_delivery}`,
                ]
              : []),
          ]
        : []),
      `relay open file descriptors, max: ${result.open_fds.max_open_fds} (target < 2,000)`,
      `relay error lines: ${result.error_lines} (target 0); bare Worker: ${workerBaseline.error_lines}`,
      `CPU seconds per 1,000 deliveries: relay's process tree ${result.cpu_seconds_per_1000_deliveries}, its workerd ${relayResult.workerd_cpu_seconds_per_1000_deliveries}; bare Worker's workerd ${workerBaseline.cpu_seconds_per_1000_deliveries} (process tree ×${r.cpu_seconds_per_delivery}, workerd ×${r.workerd_cpu_seconds_per_delivery})`,
      `workerd's busiest thread, share of the run: relay ${relayResult.workerd_busiest_thread_share}, bare Worker ${workerBaseline.workerd_busiest_thread_share}${lastFloor ? `, floor ${lastFloor.result.workerd_busiest_thread_share}` : ""} (workerd runs all of a process's isolates on one thread)`,
      `cost per million delivered events: $${result.cost.usd_per_million_delivered_events}`,
      ...historyLines(history),
      ...(profiled?.lines ?? []),
      `written to ${out}`,
    ].join("\n"),
  );
}

/** The history's figures of the last round's relay run, with the settings of wrangler.toml. */
function historyOf(run: RelayResult, vars: Record<string, unknown>) {
  const { before, after } = run.history.storage;
  const vacuumed =
    after.vacuumed_bytes !== null && before.vacuumed_bytes !== null ? after.vacuumed_bytes - before.vacuumed_bytes : null;
  const figures = historyFigures({
    deliveries: DELIVERIES,
    messages: MESSAGES,
    webhooks: WEBHOOKS,
    historyBusyMs: run.usage["history.busyMs"] ?? 0,
    mainBusyMs: run.usage["d1.busyMs"] ?? 0,
    r2ClassA: run.usage["r2.classA"] ?? 0,
    r2ClassB: run.usage["r2.classB"] ?? 0,
    r2BytesWritten: run.usage["r2.bytesWritten"] ?? 0,
    // The files vacuumed where sqlite3 can do it: what D1 reports includes pages' free space.
    d1BytesPerEvent: (vacuumed ?? after.reported_bytes - before.reported_bytes) / DELIVERIES,
    shardLimits: after.limits,
    hotHours: Number(vars.RELAY_HOT_HISTORY_HOURS ?? 12),
    retentionDays: Number(vars.RELAY_RETENTION_DAYS ?? 30),
    archive: run.history.archive,
  });
  return {
    ...figures,
    d1_bytes_measured: {
      vacuumed_shard_files_per_delivered_event: vacuumed === null ? null : round(vacuumed / DELIVERIES, 1),
      reported_size_per_delivered_event: round((after.reported_bytes - before.reported_bytes) / DELIVERIES, 1),
    },
  };
}

function historyLines(h: ReturnType<typeof historyOf>): string[] {
  const t = h.capacity.throughput_deliveries_per_second;
  const r = h.capacity.retention;
  return [
    `history: D1 ${h.d1_bytes_per_delivered_event} bytes per delivered event (vacuumed files ${h.d1_bytes_measured.vacuumed_shard_files_per_delivered_event}, D1's size ${h.d1_bytes_measured.reported_size_per_delivered_event}); R2 ${h.r2.class_a_per_message} writes and ${h.r2.class_b_per_message} reads per message; D1 busy ms per delivered event: shards ${h.d1_busy_ms_per_delivered_event.history_shards}, main ${h.d1_busy_ms_per_delivered_event.main_database}`,
    `capacity, throughput: ${t.deployment} deliveries/s (history shards ${t.history_shards} = ${r.shards} × ${t.per_history_shard}; main database ${t.main_database})`,
    `capacity, retention: ${r.sustained_deliveries_per_second} deliveries/s sustained with ${r.shards} shards for ${r.retention_days} days (D1 holds at most ${r.held_in_d1_hours_at_most} h; the rest is in R2)`,
    `keeping the history ${r.retention_days} days: $${h.retention_usd_per_million_delivered_events.total} per million delivered events (R2 and D1 storage, R2 operations, the archive's index)`,
  ];
}

/**
 * The first round's relay profile: written beside the results as a
 * `.cpuprofile` (Chrome DevTools opens it), and folded by module against
 * `entry` bundled as `npm start` bundles it, for the results and the
 * summary.
 */
async function relayProfile(profile: CpuProfile | null, entry: string, base: string) {
  if (!profile) return null;
  const file = `${base}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));
  const byModule = foldByModule(profile, await bundleWorker(entry));
  const busy = byModule.reduce((sum, m) => sum + m.samples, 0);
  return {
    json: {
      relay_profile: {
        note: "round 1's relay ran under the profiler, which slows it: compare its shares, not that round's rates",
        seconds: PROFILE_SECONDS,
        after_publishing_started_ms: PROFILE_DELAY_MS,
        busy_samples: busy,
        file,
        self_time_by_module: byModule.slice(0, 40).map((m) => ({ ...m, share: round(m.share, 3) })),
      },
    },
    lines: [
      `relay's Worker isolate, self time by module (${busy} busy samples in ${PROFILE_SECONDS} s of round 1, whose rates the profiler slowed):`,
      ...byModule.slice(0, 15).map((m) => `  ${(m.share * 100).toFixed(1).padStart(5)} %  ${m.name}`),
      `profile: ${file}`,
    ],
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
