/**
 * A webhook receiver on loopback, as a customer would run one. Each test uses
 * its own bucket: `POST /hooks/<bucket>` records the request and answers as
 * scripted; `/control/<bucket>` sets the script (PUT) and reads what arrived
 * (GET), including the highest number of requests that were open at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RecordedRequest, Script } from "./receiver-types";

type Bucket = {
  script: Script;
  requests: RecordedRequest[];
  open: number;
  maxOpen: number;
};

export type Receiver = { url: string; server: Server; close: () => Promise<void> };

export async function startReceiver(port = 0): Promise<Receiver> {
  const buckets = new Map<string, Bucket>();
  const bucket = (name: string) => {
    let b = buckets.get(name);
    if (!b) {
      b = { script: {}, requests: [], open: 0, maxOpen: 0 };
      buckets.set(name, b);
    }
    return b;
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://receiver");
    const [, kind, name] = url.pathname.split("/");
    // A sender killed mid-request (the crash tests SIGKILL the relay) never
    // finished sending: nothing was received, and there is no one to answer.
    const body = await readBody(req).catch(() => null);
    if (body === null) return;
    if (kind === "control" && name) {
      const b = bucket(name);
      if (req.method === "PUT") {
        b.script = JSON.parse(body || "{}") as Script;
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ requests: b.requests, maxOpen: b.maxOpen }));
      return;
    }
    if (kind !== "hooks" || !name) {
      res.writeHead(404).end();
      return;
    }
    const b = bucket(name);
    b.open += 1;
    b.maxOpen = Math.max(b.maxOpen, b.open);
    const answer =
      b.script.when?.find((rule) => body.includes(rule.bodyIncludes))?.response ??
      b.script.responses?.shift() ??
      b.script.otherwise ??
      {};
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    b.requests.push({
      method: req.method ?? "",
      path: url.pathname,
      headers,
      body,
      receivedAt: Date.now(),
    });
    if (answer.delayMs) await pause(answer.delayMs);
    b.open -= 1;
    if (res.destroyed) return;
    res.writeHead(answer.status ?? 200, answer.headers ?? {});
    if (answer.dripMs) await drip(res, answer.body ?? "ok", answer.dripMs);
    else res.end(answer.body ?? "ok");
  });
  // Slow answers must not be cut by Node's own timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback URL where nothing listens, for connection-refused cases. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Writes `body` a byte at a time, `everyMs` apart; stops if the client goes away. */
async function drip(res: ServerResponse, body: string, everyMs: number): Promise<void> {
  res.flushHeaders();
  for (const byte of Buffer.from(body)) {
    if (res.destroyed) return;
    res.write(Buffer.of(byte));
    await pause(everyMs);
  }
  if (!res.destroyed) res.end();
}

/**
 * Waits out a scripted delay. Unreferenced: an answer still pending when the
 * suite ends (a "hang" longer than the relay's timeout) must not hold the
 * test process open after the server is closed.
 */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
