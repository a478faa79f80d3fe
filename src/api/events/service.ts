/**
 * @module Delivery history: list, inspect, retry. Each read goes to the
 * event's webhook's object, which answers from what it holds in flight and
 * from the history (its shards and the archive) for what is finished, so a
 * client sees one history.
 */
import type { WebhookRow } from "../../db/schema";
import { resend } from "../../delivery/fan-out/resend";
import { webhookObject } from "../../deps";
import type { Deps } from "../../deps";
import type { AttemptRow, DeliveryStatus, EventRow } from "../../domain/event";
import { eventIdFor } from "../../domain/event-ids";
import { conflict, notFound } from "../../lib/errors";
import { type Principal, requireAccess } from "../../security/principal";
import { messagesSharingPrefix } from "../../storage/messages";
import { findWebhook } from "../webhooks/service";

export async function pageEvents(
  deps: Deps,
  principal: Principal,
  filter: {
    webhookId: string;
    deliveryStatus?: DeliveryStatus;
    type?: string;
    before?: string;
    limit: number;
  },
): Promise<EventRow[]> {
  requireAccess(principal, "read");
  await findWebhook(deps, principal, filter.webhookId);
  return webhookObject(deps, filter.webhookId).listEvents({ ...filter, limit: filter.limit + 1 });
}

/**
 * The webhook an event id belongs to: the one given, or found through the
 * event's message (its id shares the message id's prefix, and the message
 * names the webhooks it went to).
 */
async function webhookOfEvent(
  deps: Deps,
  principal: Principal,
  id: string,
  webhookId: string | undefined,
): Promise<WebhookRow> {
  if (webhookId !== undefined) {
    return findWebhook(deps, principal, webhookId).catch(() => {
      throw notFound("Event not found.");
    });
  }
  for (const message of await messagesSharingPrefix(deps.history, id)) {
    for (const candidate of message.webhookIds) {
      if ((await eventIdFor(message.id, candidate)) === id) {
        return findWebhook(deps, principal, candidate).catch(() => {
          throw notFound("Event not found.");
        });
      }
    }
  }
  throw notFound("Event not found.");
}

/** The event, when the principal may see it and it belongs to `webhookId` if given. */
export async function findEvent(
  deps: Deps,
  principal: Principal,
  id: string,
  webhookId?: string,
): Promise<{ event: EventRow; webhook: WebhookRow }> {
  requireAccess(principal, "read");
  const webhook = await webhookOfEvent(deps, principal, id, webhookId);
  const event = await webhookObject(deps, webhook.id).getEvent(id);
  if (!event) throw notFound("Event not found.");
  return { event, webhook };
}

/** One fresh manual attempt of a finished event. */
export async function retryEvent(
  deps: Deps,
  principal: Principal,
  id: string,
  webhookId?: string,
): Promise<EventRow> {
  requireAccess(principal, "webhooks");
  const { event, webhook } = await findEvent(deps, principal, id, webhookId);
  if (event.deliveryStatus === "pending" || event.deliveryStatus === "retrying") {
    throw conflict(`The event is ${event.deliveryStatus}: it will be attempted anyway.`);
  }
  if (!webhook.enabled) throw conflict("The webhook is disabled; enable it before retrying.");
  const [reopened] = await resend(deps, webhook, [event]);
  if (!reopened) throw conflict("The event changed while retrying; try again.");
  return reopened;
}

export async function pageAttempts(
  deps: Deps,
  principal: Principal,
  eventId: string,
  after: number,
  limit: number,
): Promise<AttemptRow[]> {
  const { webhook } = await findEvent(deps, principal, eventId);
  return webhookObject(deps, webhook.id).listAttempts(eventId, after, limit);
}
