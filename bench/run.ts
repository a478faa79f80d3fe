/**
 * `npm run bench`: the local relay (started as `npm start` does), a receiver
 * on loopback, and a workload of N messages to an application with M
 * webhooks, a share of whose first attempts fail. Prints, and writes to
 * bench/results/<date>.json: ingest rate and latency, end-to-end delivery
 * latency and rate, the billable units each delivered event cost (counted by
 * the relay's code, GET /v1/usage) priced per million, the CPU seconds of the
 * relay's process tree per 1,000 deliveries, and a bare Node baseline making
 * the same deliveries straight to the same receiver.
 *
 *   npm run bench -- --messages 2000 --webhooks 5 --concurrency 16 --fail-share 0.1
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { type Relay, relayApi, startRelay } from "../test/helpers/server";
import { PRICES } from "./prices";

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "10000" },
    webhooks: { type: "string", default: "5" },
    concurrency: { type: "string", default: "16" },
    "fail-share": { type: "string", default: "0.1" },
    label: { type: "string", default: "" },
    "log-level": { type: "string", default: "warn" },
    out: { type: "string" },
  },
});
const MESSAGES = Number(args.messages);
const WEBHOOKS = Number(args.webhooks);
const CONCURRENCY = Number(args.concurrency);
const FAIL_SHARE = Number(args["fail-share"]);
const DELIVERIES = MESSAGES * WEBHOOKS;
const RETRY_SECONDS = 1;

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
 * deliveries, 200 otherwise, and records when each delivery first succeeded.
 */
async function startBenchReceiver() {
  const firstSuccess = new Map<string, number>();
  const attempted = new Set<string>();
  let requests = 0;
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests += 1;
      const id = String(req.headers["webhook-id"] ?? req.headers["x-delivery-id"]);
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { sent_at: number };
      if (failsFirst(id) && !attempted.has(id)) {
        attempted.add(id);
        res.writeHead(500).end();
        return;
      }
      if (!firstSuccess.has(id)) firstSuccess.set(id, Date.now() - body.sent_at);
      res.writeHead(200).end("ok");
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    firstSuccess,
    requests: () => requests,
    reset() {
      firstSuccess.clear();
      attempted.clear();
      requests = 0;
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

/** CPU seconds (user + system) of every live process in the relay's process group. */
function groupCpuSeconds(pgid: number): number {
  const ticksPerSecond = 100;
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended while we looked.
    }
  }
  return ticks / ticksPerSecond;
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

async function runRelay(relay: Relay, receiver: BenchReceiver) {
  const api = relayApi(relay);
  const app = (
    await api.call("POST", "/v1/applications", { name: "bench", webhook_limit: WEBHOOKS })
  ).body;
  const webhookIds: string[] = [];
  for (let w = 0; w < WEBHOOKS; w++) {
    const res = await api.call("POST", "/v1/webhooks", {
      application_id: app.id,
      url: `${receiver.url}/hook/${w}`,
      max_in_flight: 20,
      retry_policy: { schedule_seconds: [RETRY_SECONDS, RETRY_SECONDS, RETRY_SECONDS] },
    });
    webhookIds.push(res.body.id);
  }
  const usageQuery = webhookIds.map((id) => `webhook_id=${id}`).join("&");
  const usageBefore = (await api.call("GET", `/v1/usage?${usageQuery}`)).body as Usage;
  const cpuBefore = groupCpuSeconds(relay.child.pid!);

  const ingestLatencies: number[] = [];
  const started = Date.now();
  let published = 0;
  let publishRetries = 0;
  const retriedBecause: Record<string, { count: number; sample: string }> = {};
  const publishing = limiter(CONCURRENCY);
  const publishOne = async (i: number) => {
    const t0 = performance.now();
    const body = JSON.stringify({
      application_id: app.id,
      event_type: "bench.event",
      payload: { i, sent_at: Date.now(), amount: 1000, currency: "NGN", note: "benchmark payload" },
    });
    // As a careful client would: an idempotency key, and a retry when the local
    // server restarts its worker mid-request (wrangler dev does, now and then).
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${relay.url}/v1/messages`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${relay.token}`,
          "content-type": "application/json",
          "idempotency-key": `bench-${i}`,
        },
        body,
      }).catch(() => null);
      const text = res ? await res.text() : "no response";
      if (res && (res.status === 202 || res.status === 200)) break;
      if (attempt >= 5) throw new Error(`publish answered ${res?.status}: ${text.slice(0, 500)}`);
      publishRetries += 1;
      const why = res ? String(res.status) : "no response";
      retriedBecause[why] ??= { count: 0, sample: text.slice(0, 200) };
      retriedBecause[why].count += 1;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
    ingestLatencies.push(performance.now() - t0);
    progress("published", ++published, MESSAGES);
  };
  await Promise.all(Array.from({ length: MESSAGES }, (_, i) => publishing(() => publishOne(i))));
  const ingestSeconds = (Date.now() - started) / 1000;
  await waitForDeliveries(receiver, DELIVERIES, 30 * 60_000);
  const deliverySeconds = (Date.now() - started) / 1000;
  const cpuSeconds = groupCpuSeconds(relay.child.pid!) - cpuBefore;
  // Let the last attempts' records land before reading the counters.
  await new Promise((r) => setTimeout(r, 1500));
  const usage = diffUsage(
    (await api.call("GET", `/v1/usage?${usageQuery}`)).body as Usage,
    usageBefore,
  );
  return {
    ingest: {
      requests_per_second: round(MESSAGES / ingestSeconds),
      latency_ms: summarise(ingestLatencies),
      retried_publishes: publishRetries,
      retried_because: retriedBecause,
    },
    delivery: {
      deliveries_per_second: round(DELIVERIES / deliverySeconds),
      end_to_end_latency_ms: summarise([...receiver.firstSuccess.values()]),
      receiver_requests: receiver.requests(),
    },
    cpu_seconds_per_1000_deliveries: round((cpuSeconds / DELIVERIES) * 1000, 3),
    usage,
  };
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
    subrequests: per(usage.subrequests),
  };
}

function costPerMillion(units: Units) {
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
  };
  const total = Object.values(breakdown).reduce((a, b) => a + b, 0);
  return {
    usd_per_million_delivered_events: round(total, 4),
    breakdown_usd: Object.fromEntries(Object.entries(breakdown).map(([k, v]) => [k, round(v, 4)])),
    prices_as_of: PRICES.asOf,
  };
}

async function main() {
  const receiver = await startBenchReceiver();
  process.stderr.write(`starting the relay (as npm start does)…\n`);
  // Info lines (one per request and per attempt) cost the local wrangler more
  // than the relay's own work; production ships them asynchronously.
  // wrangler's own per-request log lines too (WRANGLER_LOG).
  const relay = await startRelay({
    env: { RELAY_LOG_LEVEL: args["log-level"], WRANGLER_LOG: args["log-level"] },
  });
  let relayResult: Awaited<ReturnType<typeof runRelay>>;
  try {
    relayResult = await runRelay(relay, receiver);
  } catch (error) {
    process.stderr.write(`${relay.output().slice(-3000)}\n`);
    throw error;
  } finally {
    await relay.stop();
  }
  const baseline = await runBaseline(receiver);
  await receiver.close();
  const units = perDelivery(relayResult.usage);
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
    },
    ingest: relayResult.ingest,
    delivery: relayResult.delivery,
    cpu_seconds_per_1000_deliveries: relayResult.cpu_seconds_per_1000_deliveries,
    units_per_delivered_event: units,
    cost: costPerMillion(units),
    baseline,
    ratio_relay_to_baseline: {
      deliveries_per_second: round(
        relayResult.delivery.deliveries_per_second / baseline.deliveries_per_second,
        3,
      ),
      end_to_end_latency_p50: round(
        relayResult.delivery.end_to_end_latency_ms.p50 /
          Math.max(0.01, baseline.end_to_end_latency_ms.p50),
        1,
      ),
    },
    raw_usage: relayResult.usage,
  };
  const out =
    args.out ??
    join(process.cwd(), "bench", "results", `${result.date.replace(/[:.]/g, "-")}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  console.log(`\nwritten to ${out}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
