/**
 * `npm run soak`: the soak (bench/soak.ts) with the size, faults and kills
 * from the command line; prints the report and writes it to
 * bench/results/soak-<date>.json.
 *
 *   npm run soak -- --messages 20000 --webhooks 5 --kill-at published:0.5,delivered:0.5,delivered:0.8
 *   npm run soak -- --messages 20000 --webhooks 5 --kill-at ""   # no kills
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_FAULTS, parseKillPoints, runSoak } from "./soak";

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    webhooks: { type: "string", default: "5" },
    "batch-share": { type: "string", default: "0.5" },
    "batch-size": { type: "string", default: "50" },
    concurrency: { type: "string", default: "16" },
    "kill-at": { type: "string", default: "published:0.5,delivered:0.5,delivered:0.8" },
    "error-share": { type: "string", default: String(DEFAULT_FAULTS.error) },
    "429-share": { type: "string", default: String(DEFAULT_FAULTS.tooMany) },
    "reset-share": { type: "string", default: String(DEFAULT_FAULTS.reset) },
    "slow-share": { type: "string", default: String(DEFAULT_FAULTS.slow) },
    "slow-body-share": { type: "string", default: String(DEFAULT_FAULTS.slowBody) },
    "slow-ms": { type: "string", default: "1500" },
    "timeout-s": { type: "string", default: "1800" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    label: { type: "string", default: "" },
  },
});

const report = await runSoak({
  messages: Number(args.messages),
  webhooks: Number(args.webhooks),
  batchShare: Number(args["batch-share"]),
  batchSize: Number(args["batch-size"]),
  concurrency: Number(args.concurrency),
  killAt: parseKillPoints(args["kill-at"]),
  faults: {
    error: Number(args["error-share"]),
    tooMany: Number(args["429-share"]),
    reset: Number(args["reset-share"]),
    slow: Number(args["slow-share"]),
    slowBody: Number(args["slow-body-share"]),
  },
  slowMs: Number(args["slow-ms"]),
  timeoutMs: Number(args["timeout-s"]) * 1000,
  seed: Number(args.seed),
  log: (line) => process.stderr.write(`${line}\n`),
});

const result = { label: args.label, at: new Date().toISOString(), seed: Number(args.seed), ...report };
console.log(JSON.stringify(result, null, 2));
console.log(
  `\ndelivered ${report.delivered}/${report.deliveries_expected}, lost ${report.lost}, ` +
    `duplicates after a 2xx ${report.duplicates_after_2xx} (${(report.duplicate_share * 100).toFixed(2)} %; ` +
    `${report.duplicates_of_settled} of events settled before the kill), ` +
    `bad signatures ${report.bad_signatures}, bad bodies ${report.bad_bodies}, failed events ${report.failed_events}, ` +
    `${report.kills.length} SIGKILL(s), max fds ${report.max_open_fds}, max RSS ${report.max_rss_mb} MB, ${report.duration_s} s`,
);
const dir = join(process.cwd(), "bench", "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `soak-${result.at.replace(/[:.]/g, "-")}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(`written to ${file}`);
