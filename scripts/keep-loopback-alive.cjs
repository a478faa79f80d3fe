/**
 * Preloaded into `wrangler dev` by scripts/start.mjs (NODE_OPTIONS=--require).
 *
 * Miniflare's local queue broker writes a log line to wrangler's Node
 * "loopback" HTTP server after every batch, and only schedules the next batch
 * once that write has finished; if the write fails, the broker never dispatches
 * again (miniflare 4.x, workers/queues/broker.worker.js #flush). Node closes an
 * idle keep-alive connection after 5 s (http.Server keepAliveTimeout), while
 * workerd keeps the same connection pooled a little longer, so a write sent
 * 5-10 s after the previous one can go out on a socket Node is just closing:
 * "Network connection lost", and the local queue stalls for good. That happens
 * as soon as batches are a few seconds apart, i.e. under real load.
 *
 * Leaving idle connections to the client to close (keepAliveTimeout = 0, as
 * Node documents) removes the race. Local development only: nothing here runs
 * in production, where Cloudflare Queues has no such broker.
 */
"use strict";
const http = require("node:http");

const createServer = http.createServer;
http.createServer = function createServerKeepingIdleConnections(...args) {
  const server = createServer.apply(this, args);
  server.keepAliveTimeout = 0;
  return server;
};
