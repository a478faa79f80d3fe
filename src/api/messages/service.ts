/** @module Publishing and reading messages; nothing per webhook here. */
import type { z } from "@hono/zod-openapi";
import { publishProblems } from "../../catalog/catalog";
import { getApplication } from "../../db/queries/applications";
import { type Deps, webhookObject } from "../../deps";
import type { EventRow } from "../../domain/event";
import { eventKeysOf } from "../../domain/event-ids";
import type { Message, MessageRow, NewMessage } from "../../domain/message";
import { type PublishResult, publish } from "../../ingest/publish";
import { ApiError, conflict, notFound, payloadTooLarge, unprocessable } from "../../lib/errors";
import { jsonTextOf, nestingDepth } from "../../lib/json-text";
import { type Principal, requireAccess, requireApplication } from "../../security/principal";
import { getEvents } from "../../storage/events";
import { getMessage } from "../../storage/messages";
import { zodProblem } from "../problem";
import { MAX_PAYLOAD_DEPTH, publishMessageSchema } from "./schemas";

type Published = { message: Message; created: boolean };

/**
 * Accepts the message for delivery. The same idempotency key for the same
 * application within 24 hours returns the first message instead.
 */
export async function publishMessage(
  deps: Deps,
  principal: Principal,
  input: z.infer<typeof publishMessageSchema>,
  headerKey: string | undefined,
  /** The payload as its exact source text, where the route could take it from the body. */
  payloadText?: string,
): Promise<Published> {
  requireAccess(principal, "publish");
  requireApplication(principal, input.application_id, "Application");
  if (input.idempotency_key && headerKey && input.idempotency_key !== headerKey) {
    throw unprocessable([
      { path: "idempotency_key", message: "differs from the Idempotency-Key header" },
    ]);
  }
  // The depth first: nothing deeper than that reaches the catalog's validator.
  const payload = checkedPayload(payloadText ?? jsonTextOf(input.payload));
  const problems = await publishProblems(deps, input.event_type, input.payload);
  if (problems.length > 0) throw unprocessable(problems);
  const [result] = await publish(deps, [
    {
      applicationId: input.application_id,
      eventType: input.event_type,
      payload,
      idempotencyKey: input.idempotency_key ?? headerKey ?? null,
      resource: input.resource ?? null,
    },
  ]);
  return settled(result!);
}

/** The payload's text, if it nests no deeper than receivers (and the relay) can read; else 422. */
function checkedPayload(text: string): string {
  if (nestingDepth(text) > MAX_PAYLOAD_DEPTH) {
    throw unprocessable([{ path: "payload", message: `nested deeper than ${MAX_PAYLOAD_DEPTH} levels` }]);
  }
  return text;
}

/** What a publish's result means for the client: the message, or the problem. */
function settled(result: PublishResult): Published {
  switch (result.status) {
    case 202:
      return { message: result.message, created: true };
    case 200:
      return { message: result.message, created: false };
    case 404:
      throw notFound("Application not found (application_id).");
    case 503:
      throw result.refusal;
    default:
      throw conflict("The idempotency key is being used by a publish in progress; retry.");
  }
}

type BatchEntry =
  | { index: number; status: 200 | 202; message: Message }
  | { index: number; status: number; error: ApiError };

/**
 * Publishes up to 100 messages, each judged as a single publish would be
 * (validation, confinement, payload size, application, idempotency key): a
 * refused item stores nothing and does not hold back the others. The
 * accepted ones go to their ingest shards together, one call per shard.
 */
export async function publishBatch(
  deps: Deps,
  principal: Principal,
  items: unknown[],
  /** Each item's payload as its exact source text, where the route could take it from the body. */
  payloadTexts: (string | undefined)[] = [],
): Promise<BatchEntry[]> {
  requireAccess(principal, "publish");
  const entries: BatchEntry[] = [];
  const judged: { index: number; newMessage: NewMessage; payload: unknown }[] = [];
  items.forEach((item, index) => {
    try {
      judged.push({ index, ...judge(deps, principal, item, payloadTexts[index]) });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      entries.push({ index, status: error.status, error });
    }
  });
  // Against the catalog: one lookup per type (the isolate's cache), each payload on its own.
  const valid: typeof judged = [];
  for (const item of judged) {
    const problems = await publishProblems(deps, item.newMessage.eventType, item.payload);
    if (problems.length === 0) valid.push(item);
    else entries.push({ index: item.index, status: 422, error: unprocessable(problems) });
  }
  const results = await publish(
    deps,
    valid.map((v) => v.newMessage),
  );
  results.forEach((result, i) => {
    const index = valid[i]!.index;
    try {
      const { message, created } = settled(result);
      entries.push({ index, status: created ? 202 : 200, message });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      entries.push({ index, status: error.status, error });
    }
  });
  return entries.sort((a, b) => a.index - b.index);
}

/**
 * One batch item as a single publish would judge it, but for the catalog;
 * throws the problem it would answer. With the payload as parsed, for the
 * catalog to check.
 */
function judge(
  deps: Deps,
  principal: Principal,
  item: unknown,
  payloadText: string | undefined,
): { newMessage: NewMessage; payload: unknown } {
  const parsed = publishMessageSchema.safeParse(item);
  if (!parsed.success) throw zodProblem(parsed.error, "json");
  const input = parsed.data;
  requireApplication(principal, input.application_id, "Application");
  const payload = checkedPayload(payloadText ?? jsonTextOf(input.payload));
  const limit = deps.settings.maxPayloadBytes;
  if (new TextEncoder().encode(payload).byteLength > limit) {
    throw payloadTooLarge(`The payload is larger than ${limit} bytes.`);
  }
  return {
    newMessage: {
      applicationId: input.application_id,
      eventType: input.event_type,
      payload,
      idempotencyKey: input.idempotency_key ?? null,
      resource: input.resource ?? null,
    },
    payload: input.payload,
  };
}

/**
 * The message and its events. A message is readable once fan-out has
 * recorded it, normally about a second after it was accepted.
 */
export async function findMessage(
  deps: Deps,
  principal: Principal,
  id: string,
): Promise<{ message: MessageRow; events: EventRow[] }> {
  requireAccess(principal, "read");
  // A confined principal's own application is the only place to look.
  const message = await getMessage(deps.history, id, principal.applicationId ?? undefined);
  if (!message) throw notFound("Message not found.");
  requireApplication(principal, message.applicationId, "Message");
  if (!(await getApplication(deps.db, message.applicationId))) throw notFound("Message not found.");
  return { message, events: await eventsOfMessage(deps, message) };
}

/** Its events: as recorded, or as their webhooks' objects hold them while in flight. */
async function eventsOfMessage(deps: Deps, message: MessageRow): Promise<EventRow[]> {
  const keys = await eventKeysOf(message);
  const found = await Promise.all(
    keys.map(({ webhookId, id }) => getEvents(deps.history, { webhookId, applicationId: message.applicationId }, [id])),
  );
  const recorded = new Map(found.flat().map((e) => [e.id, e]));
  const inFlight = await Promise.all(
    keys.map(({ webhookId, id }) => webhookObject(deps, webhookId).peekEvents([id])),
  );
  for (const event of inFlight.flat()) recorded.set(event.id, event);
  return [...recorded.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}
