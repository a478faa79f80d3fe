import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { renderBody } from "../../../../src/delivery/attempt/payload";

const message: Parameters<typeof renderBody>[1] = {
  id: "01936d3c-5d3e-7c41-9a7e-2f1c3b2a1d00",
  eventType: "charge.success",
  payload: '{"amount":1000,  "currency":"NGN"}',
  createdAt: "2026-11-22T15:37:13.123Z",
  resourceType: null,
  resourceId: null,
};

describe("delivery bodies", () => {
  test("raw is the payload byte for byte, whatever the attempt", () => {
    expect(renderBody("raw", message, "2026-11-22T15:37:14.000Z")).toBe(message.payload);
    expect(renderBody("raw", message, "2026-11-23T00:00:00.000Z")).toBe(message.payload);
  });

  test("jsonapi is the Bitex envelope (SPEC §5), the payload embedded as it was published", () => {
    const sentAt = "2026-11-22T15:37:14.000Z";
    const body = renderBody("jsonapi", { ...message, resourceType: "charge", resourceId: "ch_1" }, sentAt);
    expect(body).toContain(`"attributes":${message.payload}`);
    expect(JSON.parse(body)).toEqual({
      data: {
        type: "events",
        id: message.id,
        attributes: { event_type: "charge.success", created_at: message.createdAt, sent_at: sentAt },
        relationships: { resource: { data: { type: "charge", id: "ch_1" } } },
      },
      included: [{ type: "charge", id: "ch_1", attributes: { amount: 1000, currency: "NGN" } }],
    });
  });

  test("without a resource: the event type's first part and the message id", () => {
    const parsed = JSON.parse(renderBody("jsonapi", message, "2026-11-22T15:37:14.000Z"));
    expect(parsed.data.relationships.resource.data).toEqual({ type: "charge", id: message.id });
    expect(parsed.included[0]).toMatchObject({ type: "charge", id: message.id });
  });

  test("any JSON payload and resource survive the envelope", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), fc.string(), (value, type, id) => {
        const payload = JSON.stringify(value);
        const body = renderBody(
          "jsonapi",
          { ...message, payload, resourceType: type, resourceId: id },
          "2026-11-22T15:37:14.000Z",
        );
        const parsed = JSON.parse(body);
        expect(parsed.included[0].attributes).toEqual(JSON.parse(payload));
        expect(parsed.included[0]).toMatchObject({ type, id });
      }),
    );
  });
});
