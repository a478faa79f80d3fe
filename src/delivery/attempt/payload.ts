/** @module Delivery bodies: the published payload as-is, or Bitex's JSON:API envelope. */
import type { Message } from "../../domain/message";

export type PayloadFormat = "raw" | "jsonapi";

/**
 * The request body for one attempt. `raw` is byte-identical on every attempt;
 * `jsonapi` differs only in `sent_at`, which is the point of that field.
 */
export function renderBody(
  format: PayloadFormat,
  message: Pick<Message, "id" | "eventType" | "payload" | "createdAt" | "resourceType" | "resourceId">,
  sentAt: string,
): string {
  if (format === "raw") return message.payload;
  const resource = {
    type: message.resourceType ?? message.eventType.split(".")[0] ?? "resource",
    id: message.resourceId ?? message.id,
  };
  const envelope = `{"data":${JSON.stringify({
    type: "events",
    id: message.id,
    attributes: { event_type: message.eventType, created_at: message.createdAt, sent_at: sentAt },
    relationships: { resource: { data: resource } },
  })},"included":[{"type":${JSON.stringify(resource.type)},"id":${JSON.stringify(resource.id)},"attributes":${message.payload}}]}`;
  return envelope;
}
