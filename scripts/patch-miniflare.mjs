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
 * install, so a Miniflare upgrade cannot silently undo it. So does a second
 * copy of Miniflare anywhere in node_modules (a dependency that pins
 * another version gets its own, nested and unmended): whichever copy a tool
 * loaded, the stalls would be back without a word.
 *
 * When it can go: once the Miniflare that wrangler and
 * @cloudflare/vitest-pool-workers install includes the upstream fix (the
 * README, "Local runtime", says how to check).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const broker = join(root, "node_modules/miniflare/dist/src/workers/queues/broker.worker.js");

/** Every installed copy of Miniflare: node_modules/miniflare, and any nested under another package. */
function miniflareCopies(nodeModules, found = []) {
  if (!existsSync(nodeModules)) return found;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const names = entry.name.startsWith("@")
      ? readdirSync(join(nodeModules, entry.name)).map((name) => join(entry.name, name))
      : [entry.name];
    for (const name of names) {
      if (name === "miniflare") found.push(join(nodeModules, name));
      miniflareCopies(join(nodeModules, name, "node_modules"), found);
    }
  }
  return found;
}

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
const copies = [
  ...miniflareCopies(join(root, "node_modules")),
  ...miniflareCopies(join(root, "clients", "typescript", "node_modules")),
];
if (copies.length > 1) {
  console.error(
    [
      `scripts/patch-miniflare.mjs: ${copies.length} copies of Miniflare are installed, and only one is mended:`,
      ...copies.map((path) => `  ${path}`),
      "Pin one version for all (package.json \"overrides\", or align wrangler, miniflare and",
      "@cloudflare/vitest-pool-workers), or the unmended copy stalls the local queue again.",
    ].join("\n"),
  );
  process.exit(1);
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
