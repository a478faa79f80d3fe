import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { EventRow } from "../../../src/domain/event";
import { attemptIdFor, eventIdFor } from "../../../src/domain/event-ids";
import type { MessageRow } from "../../../src/domain/message";
import { uuidv7 } from "../../../src/lib/ids";
import { toRfc3339 } from "../../../src/lib/time";
import { decodeEvent, decodeMessage, encodeEvent, encodeMessage } from "../../../src/storage/codec";

const ms = fc.integer({ min: Date.parse("2020-01-01T00:00:00Z"), max: Date.parse("2040-01-01T00:00:00Z") });
const text = fc.string({ unit: "grapheme", maxLength: 40 });

describe("the history's compact rows", () => {
  test("an event comes back exactly as written: ids, times, statuses, every attempt", async () => {
    await fc.assert(
      fc.asyncProperty(
        ms,
        fc.uuid(),
        fc.constantFrom("success" as const, "failed" as const),
        fc.array(fc.tuple(fc.integer({ min: -5_000, max: 10 ** 9 }), fc.nat(60_000), fc.integer({ min: 0, max: 599 }), text, text), { maxLength: 5 }),
        text,
        async (created, webhookId, status, attempts, type) => {
          const messageId = uuidv7(created - 1);
          const id = await eventIdFor(messageId, webhookId);
          const row: EventRow = {
            webhookId,
            id,
            messageId,
            type,
            deliveryStatus: status,
            deliveryAttempts: attempts.length,
            maxAttempts: attempts.length + 2,
            httpStatusCode: attempts.at(-1)?.[2] ?? 0,
            errorMessage: attempts.at(-1)?.[4] ?? "",
            nextAttemptAt: null,
            attemptLog: attempts.map(([start, durationMs, httpStatusCode, responseBody, errorMessage], i) => ({
              id: attemptIdFor(id, i + 1, created + start),
              attempt: i + 1,
              startedAt: toRfc3339(created + start),
              durationMs,
              httpStatusCode,
              responseBody,
              errorMessage,
            })),
            createdAt: toRfc3339(created),
            updatedAt: toRfc3339(created + 1234),
          };
          // Through JSON, as a write binds it and the archive stores it.
          expect(decodeEvent(JSON.parse(JSON.stringify(encodeEvent(row))))).toEqual(row);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("a message comes back as written, its payload by reference", () => {
    const id = uuidv7(Date.parse("2026-12-08T10:00:00.000Z"));
    const message: Omit<MessageRow, "payload"> = {
      id,
      applicationId: uuidv7(),
      eventType: "order.paid",
      idempotencyKey: "key-1",
      resourceType: "order",
      resourceId: "ord_1",
      createdAt: "2026-12-08T10:00:00.003Z",
      webhookIds: [uuidv7(), uuidv7()],
    };
    const ref = { object: "ab".repeat(16), offset: 120, length: 1024 };
    expect(decodeMessage(JSON.parse(JSON.stringify(encodeMessage(message, ref))), 123_456)).toEqual({
      ...message,
      payloadRef: { slot: 123_456, ...ref },
    });
  });

  test("an event of another message, or not yet finished, is refused", async () => {
    const messageId = uuidv7();
    const row = {
      webhookId: uuidv7(),
      id: await eventIdFor(uuidv7(Date.now() + 5000), "w"),
      messageId,
      type: "t",
      deliveryStatus: "success" as const,
      deliveryAttempts: 1,
      maxAttempts: 1,
      httpStatusCode: 200,
      errorMessage: "",
      nextAttemptAt: null,
      attemptLog: [],
      createdAt: toRfc3339(Date.now()),
      updatedAt: toRfc3339(Date.now()),
    };
    expect(() => encodeEvent(row)).toThrow(/is not of message/);
    expect(() => encodeEvent({ ...row, id: messageId.slice(0, 18) + row.id.slice(18), deliveryStatus: "retrying" })).toThrow(
      /recorded once finished/,
    );
  });
});
