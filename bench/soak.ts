/**
 * @module The soak: the local relay (started as `npm start` does) delivers
 * N messages × M webhooks to a receiver that misbehaves as real ones do
 * (500s, 429 with Retry-After, connection resets, slow answers, slow bodies),
 * while publishers retry each publish with its idempotency key until it is
 * accepted and the relay is SIGKILLed at chosen moments and started again on
 * the same state. It reports what arrived: every delivery verified (Standard
 * Webhooks signature, body byte for byte), the lost, the duplicates after a
 * 2xx (the same webhook-id sent again after the receiver answered 2xx for
 * it), and the most open descriptors and resident memory of the relay's
 * processes. `npm run soak` runs it (bench/soak-cli.ts); the e2e suite runs a
 * short one (test/e2e/soak.test.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { type Relay, startRelay } from "../test/helpers/server";
import { samplePeaks } from "./procs";

/** Shares of receiver answers, each drawn per request. */
export type Faults = {
  /** 500. */
  error: number;
  /** 429 with `Retry-After: 1`. */
  tooMany: number;
  /** The connection reset before any answer. */
  reset: number;
  /** A 200 after `slowMs`. */
  slow: number;
  /** A 200 at once, its body dripped over `slowMs`. */
  slowBody: number;
};

export type SoakOptions = {
  messages: number;
  webhooks: number;
  /** Share of the messages published in batches (`batchSize` a request); the rest one a request. */
  batchShare: number;
  batchSize: number;
  /** Publishing requests in flight at once. */
  concurrency: number;
  /** SIGKILL the relay at these moments, in order: when a share of the messages is published, or of the deliveries arrived. */
  killAt: KillPoint[];
  faults: Faults;
  slowMs: number;
  /** The whole run, publishing to drained, must end within this. */
  timeoutMs: number;
  seed: number;
  log: (line: string) => void;
};

/** A moment to SIGKILL the relay: once `share` of the messages are accepted, or of the deliveries have arrived. */
export type KillPoint = { when: "published" | "delivered"; share: number };

/** `published:0.5` or `delivered:0.25` (a bare share means delivered), comma-separated. */
export function parseKillPoints(text: string): KillPoint[] {
  return text
    .split(",")
    .filter(Boolean)
    .map((token) => {
      const [when, share] = token.includes(":") ? token.split(":") : ["delivered", token];
      if ((when !== "published" && when !== "delivered") || !(Number(share) >= 0 && Number(share) <= 1)) {
        throw new Error(`--kill-at: "${token}" is neither published:<share> nor delivered:<share>`);
      }
      return { when, share: Number(share) };
    });
}

export const DEFAULT_FAULTS: Faults = { error: 0.08, tooMany: 0.02, reset: 0.02, slow: 0.03, slowBody: 0.02 };

/** Retries come soon, and many: an event the faults hit over and over still arrives. */
const RETRY_POLICY = { schedule_seconds: [1, 1, 2, 2, 3, 5, 5, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10] };
const PUBLISH_BACKOFF_MS = 250;
const WATCH_MS = 100;

export type SoakReport = {
  messages: number;
  webhooks: number;
  deliveries_expected: number;
  delivered: number;
  lost: number;
  duplicates_after_2xx: number;
  /**
   * Of those, the ones whose last 2xx came more than SETTLED_AFTER_MS before
   * the kill that preceded the duplicate, or with no kill in between: events
   * that had settled, which nothing may send again.
   */
  duplicates_of_settled: number;
  duplicate_share: number;
  receiver_requests: number;
  answers: Record<string, number>;
  bad_signatures: number;
  bad_bodies: number;
  failed_events: number;
  kills: { at_published: number; at_delivered: number; restart_ms: number }[];
  publish_requests: number;
  publish_retries: number;
  max_open_fds: number;
  max_rss_mb: number;
  duration_s: number;
};

/** mulberry32: a small seeded PRNG, so that a run's faults can be drawn again. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The payload text of message `i`, exactly as published and as it must arrive. */
const payloadText = (i: number) => `{"i":${i},"soak":"${"x".repeat(48)}"}`;

/**
 * An outcome is written to D1 within the history flush interval (200 ms) of
 * its attempt, and its event settles in the same step; this allows ten times
 * that, for a busy machine. A 2xx older than this at a kill was settled.
 */
const SETTLED_AFTER_MS = 2_000;

/**
 * Requests the relay had sent before it died may still be answered this long
 * after its processes are gone (the receiver reads them from its sockets);
 * such a 2xx never reached the relay.
 */
const ANSWERED_AFTER_DEATH_MS = 100;

/**
 * The receiver: one path per webhook, answers drawn from the faults, every
 * request checked. `killedAt` holds, per kill, when it began and when the
 * relay's processes were gone, for telling a duplicate of a settled event
 * from one that a kill may repeat.
 */
async function startSoakReceiver(o: SoakOptions, secrets: string[], killedAt: { began: number; gone: number }[]) {
  const random = prng(o.seed);
  /** Every 2xx's time per webhook-id. */
  const acked = new Map<string, number[]>();
  const delivered = Array.from({ length: o.webhooks }, () => new Set<number>());
  const tally = {
    requests: 0,
    duplicates: 0,
    duplicatesOfSettled: 0,
    badSignatures: 0,
    badBodies: 0,
    answers: {} as Record<string, number>,
  };
  // Made at the first request: the secrets are known once the webhooks exist.
  let verifiers: Webhook[] = [];
  const count = (answer: string) => {
    tally.answers[answer] = (tally.answers[answer] ?? 0) + 1;
  };
  /** A 2xx goes out for this request: from now on the same webhook-id again is a duplicate. */
  const acknowledge = (id: string, w: number, i: number) => {
    acked.set(id, [...(acked.get(id) ?? []), Date.now()]);
    delivered[w]!.add(i);
  };
  /**
   * A duplicate of a settled event. Only a 2xx the relay could have read
   * counts (not one answered while it was being killed); the first kill after
   * the last such 2xx decides: none before now, or one that came long after
   * it (the outcome was written by then), and the event had settled.
   */
  const ofSettled = (acks: number[], now: number) => {
    const heard = acks.filter((at) => !killedAt.some((k) => at >= k.began && at <= k.gone + ANSWERED_AFTER_DEATH_MS));
    const lastAck = heard.at(-1);
    if (lastAck === undefined) return false;
    const kill = killedAt.find((k) => k.began >= lastAck && k.began <= now);
    return kill === undefined || kill.began - lastAck > SETTLED_AFTER_MS;
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => {});
    req.on("end", () => {
      tally.requests += 1;
      const w = Number(req.url?.split("/")[2]);
      const body = Buffer.concat(chunks).toString("utf8");
      const id = String(req.headers["webhook-id"]);
      const acks = acked.get(id);
      if (acks !== undefined) {
        tally.duplicates += 1;
        if (ofSettled(acks, Date.now())) tally.duplicatesOfSettled += 1;
      }
      if (verifiers.length < secrets.length) verifiers = secrets.map((secret) => new Webhook(secret));
      try {
        verifiers[w]!.verify(body, req.headers as Record<string, string>);
      } catch {
        tally.badSignatures += 1;
      }
      const i = (JSON.parse(body) as { i: number }).i;
      if (body !== payloadText(i)) tally.badBodies += 1;
      const { faults } = o;
      let draw = random();
      const pick = (share: number) => (draw -= share) < 0;
      if (pick(faults.reset)) {
        count("reset");
        req.socket.destroy();
      } else if (pick(faults.error)) {
        count("500");
        res.writeHead(500).end("down");
      } else if (pick(faults.tooMany)) {
        count("429");
        res.writeHead(429, { "retry-after": "1" }).end("slow down");
      } else if (pick(faults.slow)) {
        count("slow");
        setTimeout(() => {
          if (res.destroyed) return;
          acknowledge(id, w, i);
          res.writeHead(200).end("ok");
        }, o.slowMs);
      } else if (pick(faults.slowBody)) {
        count("slow body");
        acknowledge(id, w, i);
        res.writeHead(200).flushHeaders();
        const text = "ok, slowly";
        let sent = 0;
        const drip = setInterval(() => {
          if (res.destroyed || sent === text.length) {
            clearInterval(drip);
            if (!res.destroyed) res.end();
            return;
          }
          res.write(text[sent++]!);
        }, o.slowMs / text.length);
      } else {
        count("200");
        acknowledge(id, w, i);
        res.writeHead(200, { "content-length": "2" }).end("ok");
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    delivered: () => delivered.reduce((n, set) => n + set.size, 0),
    tally,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The relay now (it changes at every restart), as publishers and the watcher see it. */
type Current = { relay: Relay };

async function call(current: Current, method: string, path: string, body?: unknown) {
  const res = await fetch(`${current.relay.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${current.relay.token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

/**
 * Publishes every message, retrying each with its idempotency key until it
 * is accepted (202) or answered as the key's first message (200), whatever
 * the relay is doing (being killed, restarting).
 */
async function publishAll(
  o: SoakOptions,
  current: Current,
  applicationId: string,
  runId: string,
  stats: { requests: number; retries: number; accepted: number },
) {
  const random = prng(o.seed + 1);
  const item = (i: number) => ({
    application_id: applicationId,
    event_type: "soak.event",
    payload: JSON.parse(payloadText(i)) as unknown,
    idempotency_key: `soak-${runId}-${i}`,
  });
  const batched = Math.round(o.messages * o.batchShare);
  const jobs: number[][] = [];
  for (let i = 0; i < batched; i += o.batchSize) {
    jobs.push(Array.from({ length: Math.min(o.batchSize, batched - i) }, (_, j) => i + j));
  }
  for (let i = batched; i < o.messages; i++) jobs.push([i]);
  // Batches and singles mixed throughout the run.
  for (let k = jobs.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    [jobs[k], jobs[j]] = [jobs[j]!, jobs[k]!];
  }
  const publishJob = async (job: number[]) => {
    let left = job;
    for (let attempt = 0; left.length > 0; attempt++) {
      if (attempt > 0) {
        stats.retries += 1;
        await new Promise((r) => setTimeout(r, Math.min(2_000, PUBLISH_BACKOFF_MS * attempt)));
      }
      stats.requests += 1;
      try {
        const before = left.length;
        if (left.length === 1 && job.length === 1) {
          const res = await call(current, "POST", "/v1/messages", item(left[0]!));
          if (res.status === 202 || res.status === 200) left = [];
        } else {
          const res = await call(current, "POST", "/v1/messages/batch", { messages: left.map(item) });
          if (res.status !== 200) continue;
          const entries = res.body.data as { index: number; status: number }[];
          left = entries.filter((e) => e.status !== 202 && e.status !== 200).map((e) => left[e.index]!);
        }
        stats.accepted += before - left.length;
      } catch {
        // No answer (the relay is down or restarting): the same request again.
      }
    }
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (next < jobs.length) await publishJob(jobs[next++]!);
    }),
  );
}

/** Resolves once `check` holds, polling; throws past the deadline. */
async function until(check: () => boolean | Promise<boolean>, deadline: number, what: string): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`soak: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, WATCH_MS));
  }
}

/** Whether no webhook's object holds anything more to send: nothing pending or retrying, anywhere. */
async function drained(current: Current, webhookIds: string[]): Promise<boolean> {
  for (const id of webhookIds) {
    for (const status of ["pending", "retrying"]) {
      const res = await call(current, "GET", `/v1/events?webhook_id=${id}&delivery_status=${status}&limit=1`).catch(
        () => null,
      );
      if (res?.status !== 200 || res.body.data.length > 0) return false;
    }
  }
  return true;
}

async function countFailed(current: Current, webhookIds: string[]): Promise<number> {
  let failed = 0;
  for (const id of webhookIds) {
    const res = await call(current, "GET", `/v1/events?webhook_id=${id}&delivery_status=failed&limit=100`);
    failed += res.body.data.length;
  }
  return failed;
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  const env = { RELAY_LOG_LEVEL: "warn" };
  const current: Current = { relay: await startRelay({ env }) };
  const peaks = samplePeaks(() => current.relay.child.pid);
  const expected = o.messages * o.webhooks;
  let receiver: Awaited<ReturnType<typeof startSoakReceiver>> | undefined;
  try {
    const app = (await call(current, "POST", "/v1/applications", { name: `soak ${started}`, webhook_limit: o.webhooks }))
      .body;
    const secrets: string[] = [];
    const webhookIds: string[] = [];
    // The receiver's URL is needed first; secrets are filled in before anything is published.
    const killedAt: { began: number; gone: number }[] = [];
    receiver = await startSoakReceiver(o, secrets, killedAt);
    for (let w = 0; w < o.webhooks; w++) {
      const created = await call(current, "POST", "/v1/webhooks", {
        application_id: app.id,
        url: `${receiver.url}/w/${w}`,
        retry_policy: RETRY_POLICY,
      });
      if (created.status !== 201) throw new Error(`soak: webhook not created: ${JSON.stringify(created.body)}`);
      webhookIds.push(created.body.id);
      secrets.push(created.body.secret);
    }
    const verifying = receiver;
    const points = o.killAt.map((k) => `${k.when}:${k.share}`).join(", ");
    o.log(`soak: ${o.messages} messages × ${o.webhooks} webhooks, kills at ${points || "none"}`);

    const published = { requests: 0, retries: 0, accepted: 0 };
    const kills: SoakReport["kills"] = [];
    const killing = (async () => {
      for (const { when, share } of o.killAt) {
        const reached = () =>
          when === "published" ? published.accepted >= share * o.messages : verifying.delivered() >= share * expected;
        await until(reached, deadline, `${share} of the messages ${when}`);
        const at = { at_published: published.accepted, at_delivered: verifying.delivered() };
        const killed = current.relay;
        const began = Date.now();
        await killed.kill("SIGKILL");
        killedAt.push({ began, gone: Date.now() });
        const restart = Date.now();
        current.relay = await startRelay({ persistTo: killed.persistTo, token: killed.token, env });
        kills.push({ ...at, restart_ms: Date.now() - restart });
        o.log(
          `soak: SIGKILL at ${at.at_published}/${o.messages} published, ${at.at_delivered}/${expected} delivered; back in ${Date.now() - restart} ms`,
        );
      }
    })();
    await publishAll(o, current, app.id, String(started), published);
    o.log(`soak: all ${o.messages} published (${published.retries} retried requests)`);
    await killing;
    let reported = 0;
    await until(
      () => {
        const now = verifying.delivered();
        if (now - reported >= expected / 10) o.log(`soak: ${(reported = now)}/${expected} delivered`);
        return now === expected;
      },
      deadline,
      "every delivery",
    );
    await until(() => drained(current, webhookIds), deadline, "the relay to drain");
    const { tally } = verifying;
    return {
      messages: o.messages,
      webhooks: o.webhooks,
      deliveries_expected: expected,
      delivered: verifying.delivered(),
      lost: expected - verifying.delivered(),
      duplicates_after_2xx: tally.duplicates,
      duplicates_of_settled: tally.duplicatesOfSettled,
      duplicate_share: Number((tally.duplicates / expected).toFixed(5)),
      receiver_requests: tally.requests,
      answers: tally.answers,
      bad_signatures: tally.badSignatures,
      bad_bodies: tally.badBodies,
      failed_events: await countFailed(current, webhookIds),
      kills,
      publish_requests: published.requests,
      publish_retries: published.retries,
      ...(({ max_open_fds, max_rss_mb }) => ({ max_open_fds, max_rss_mb }))(peaks.stop()),
      duration_s: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    peaks.stop();
    await current.relay.stop();
    await receiver?.close();
  }
}
