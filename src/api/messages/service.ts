/** @module Publishing: validate, store the message, enqueue a pointer. Nothing per webhook here. */
import type { z } from "@hono/zod-openapi";
import { listEventsOfMessage } from "../../db/queries/events";
import {
  getMessage,
  getMessageByIdempotencyKey,
  insertMessage,
  releaseIdempotencyKey,
} from "../../db/queries/messages";
import type { MessageRow } from "../../db/schema";
import type { Deps } from "../../deps";
import { notFound, unprocessable } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { jsonTextOf } from "../../lib/json-text";
import { DAY_MS, toRfc3339 } from "../../lib/time";
import { type Principal, requireAccess, requireApplication } from "../../security/principal";
import type { publishMessageSchema } from "./schemas";

export type Published = { message: MessageRow; created: boolean };

/**
 * Stores the message and enqueues its fan-out. The same idempotency key for
 * the same application within 24 hours returns the first message instead.
 * If the enqueue fails, the message is still accepted: the sweep finds
 * messages never dispatched and enqueues them again.
 */
export async function publishMessage(
  deps: Deps,
  principal: Principal,
  input: z.infer<typeof publishMessageSchema>,
  headerKey: string | undefined,
): Promise<Published> {
  requireAccess(principal, "publish");
  requireApplication(principal, input.application_id, "Application");
  if (input.idempotency_key && headerKey && input.idempotency_key !== headerKey) {
    throw unprocessable([
      { path: "idempotency_key", message: "differs from the Idempotency-Key header" },
    ]);
  }
  const key = input.idempotency_key ?? headerKey ?? null;
  const now = deps.now();
  const row = {
    id: uuidv7(now.getTime()),
    applicationId: input.application_id,
    eventType: input.event_type,
    payload: jsonTextOf(input.payload),
    idempotencyKey: key,
    resourceType: input.resource?.type ?? null,
    resourceId: input.resource?.id ?? null,
    createdAt: toRfc3339(now),
  };
  let message = await insertOrReport(deps, row);
  if (!message && key) {
    const first = await getMessageByIdempotencyKey(deps.db, input.application_id, key);
    if (first && first.createdAt > toRfc3339(now.getTime() - DAY_MS)) {
      return { message: first, created: false };
    }
    // The key is older than 24 hours: it is free again.
    if (first) await releaseIdempotencyKey(deps.db, first.id);
    message = await insertOrReport(deps, row);
  }
  if (!message)
    throw unprocessable([
      { path: "idempotency_key", message: "is being used concurrently; retry" },
    ]);
  try {
    await deps.queue.send({ kind: "fanout", messageId: message.id, requestId: deps.requestId });
  } catch (error) {
    deps.log("warn", "enqueue failed; the sweep will dispatch the message", {
      message_id: message.id,
      error: String(error),
    });
  }
  return { message, created: true };
}

/** Inserts, turning a missing application (foreign key) into a 404 naming the field. */
async function insertOrReport(deps: Deps, row: Parameters<typeof insertMessage>[1]) {
  try {
    return await insertMessage(deps.db, row);
  } catch (error) {
    if (/FOREIGN KEY/i.test(String((error as Error)?.message) + String((error as Error)?.cause))) {
      throw notFound("Application not found (application_id).");
    }
    throw error;
  }
}

export async function findMessage(deps: Deps, principal: Principal, id: string) {
  requireAccess(principal, "read");
  const message = await getMessage(deps.db, id);
  if (!message) throw notFound("Message not found.");
  requireApplication(principal, message.applicationId, "Message");
  return { message, events: await listEventsOfMessage(deps.db, id) };
}
