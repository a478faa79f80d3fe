/**
 * Run by `npm ci`/`npm install` (postinstall): mends Miniflare's local queue
 * broker, which `npm start`, the tests and the benchmark run on. Production
 * Queues are not touched.
 *
 * The broker hands every message it is sent, and every full batch it is to
 * deliver, to a `setTimeout` with no delay. workerd runs none of a Durable
 * Object's timers while requests keep arriving at it, so under a steady
 * stream of publishes nothing moves from the broker to the consumer until
 * the stream pauses (deliveries arrived tens of seconds late in the
 * benchmark), and a burst of more than 10,000 messages fails outright on
 * workerd's cap of 10,000 active timers. Upstream: cloudflare/workers-sdk
 * issue #15670, pull request #15676 (open), which pushes undelayed messages
 * at once; this also starts a full batch's flush at once.
 *
 * Each edit replaces one exact text and checks it took; an already mended
 * file is left alone, and a file that matches neither form stops the
 * install, so a Miniflare upgrade cannot silently undo it.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const broker = join(root, "node_modules/miniflare/dist/src/workers/queues/broker.worker.js");

const EDITS = [
  {
    why: "an undelayed message joins the backlog at once",
    from: `delay = message.delaySecs ?? globalDelay;
      this.timers.setTimeout(fn, delay * 1e3);`,
    to: `delay = message.delaySecs ?? globalDelay;
      delay > 0 ? this.timers.setTimeout(fn, delay * 1e3) : fn();`,
  },
  {
    why: "a full batch is flushed at once",
    from: `timeout = this.timers.setTimeout(this.#flush, delay);`,
    to: `timeout = delay > 0 ? this.timers.setTimeout(this.#flush, delay) : (queueMicrotask(this.#flush), void 0);`,
  },
];

if (!existsSync(broker)) {
  // Installed without dev dependencies: there is no local runtime to mend.
  process.exit(0);
}
let text = readFileSync(broker, "utf8");
for (const edit of EDITS) {
  if (text.includes(edit.to)) continue;
  const at = text.indexOf(edit.from);
  if (at === -1 || text.indexOf(edit.from, at + 1) !== -1) {
    console.error(
      `scripts/patch-miniflare.mjs: ${broker} does not read as expected (${edit.why}); see the comment at the top of this script`,
    );
    process.exit(1);
  }
  text = text.replace(edit.from, edit.to);
}
writeFileSync(broker, text);
