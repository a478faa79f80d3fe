/**
 * The soak in short (bench/soak.ts; `npm run soak` runs the long one): a few
 * hundred messages to two webhooks through a receiver that fails, throttles,
 * resets and answers slowly, publishers that retry until accepted, and two
 * SIGKILLs of the relay, one while it accepts and one while it delivers.
 * Nothing accepted is lost, every delivery is signed and byte-exact, and what
 * arrives twice after a 2xx is only what a kill may send again: no event
 * whose 2xx came well before the kill (its outcome written, so settled) is
 * sent again, and the rest stays within the attempts in flight and the
 * outcomes not yet written, which the flush bounds. How many those are
 * depends on the machine's speed, so the bound is the mechanism's, not a
 * count seen on one machine.
 */
import { expect, test } from "vitest";
import { DEFAULT_FAULTS, runSoak } from "../../bench/soak";

const WEBHOOKS = 2;
const KILLS = 2;
/**
 * Per kill and webhook: max_in_flight (the default, 10) and a full history
 * buffer (FLUSH_COUNT, 100, in src/delivery/history/history.ts; this Node
 * test cannot import the Worker's modules).
 */
const DUPLICATES_PER_KILL_AND_WEBHOOK = 10 + 100;

test("a short soak with two SIGKILLs: nothing lost, duplicates after a 2xx within the bound", async () => {
  const report = await runSoak({
    messages: 300,
    webhooks: WEBHOOKS,
    batchShare: 0.5,
    batchSize: 50,
    concurrency: 8,
    killAt: [
      { when: "published", share: 0.5 },
      { when: "delivered", share: 0.6 },
    ],
    faults: DEFAULT_FAULTS,
    slowMs: 500,
    timeoutMs: 100_000,
    seed: 26,
    log: (line) => console.log(line),
  });
  console.log(JSON.stringify(report));
  expect(report.kills).toHaveLength(KILLS);
  expect(report).toMatchObject({
    lost: 0,
    bad_signatures: 0,
    bad_bodies: 0,
    failed_events: 0,
    duplicates_of_settled: 0,
  });
  expect(report.duplicates_after_2xx).toBeLessThanOrEqual(KILLS * WEBHOOKS * DUPLICATES_PER_KILL_AND_WEBHOOK);
});
