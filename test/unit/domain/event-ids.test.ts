import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { eventIdFor, messageIdRange } from "../../../src/domain/event-ids";
import { uuidv7 } from "../../../src/lib/ids";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("event ids", () => {
  test("the same message and webhook always name the same event; another webhook, another event", async () => {
    const message = uuidv7();
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    expect(await eventIdFor(message, a)).toBe(await eventIdFor(message, a));
    expect(await eventIdFor(message, a)).not.toBe(await eventIdFor(message, b));
  });

  test("the derivation never changes: an id is the message's first 64 bits, then SHA-256 of \"message/webhook\" with the variant bits", async () => {
    // Computed apart from this code (Node's crypto); a changed id would let
    // a message fanned out again after an upgrade reach its webhook twice
    // under two webhook-ids.
    expect(await eventIdFor("0192e4a1-7b3c-7def-8123-456789abcdef", "wh_2f1c9a")).toBe(
      "0192e4a1-7b3c-7def-b339-933e9a730136",
    );
  });

  test("an event id is a UUIDv7 in its message's id range, sorting with its message", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 47 }), fc.uuid(), async (ms, webhook) => {
        const message = uuidv7(ms);
        const id = await eventIdFor(message, webhook);
        expect(id).toMatch(UUID_V7);
        const { from, to } = messageIdRange(id);
        expect(message >= from && message < to).toBe(true);
        // Later messages' events sort after earlier messages' ones.
        const later = await eventIdFor(uuidv7(ms + 1), webhook);
        expect(later > id).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
