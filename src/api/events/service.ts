/** @module Delivery history: list, inspect, retry. */
import { getEvent, listAttempts, listEvents } from "../../db/queries/events";
import type { DeliveryStatus, EventRow } from "../../db/schema";
import { resend } from "../../delivery/publish";
import type { Deps } from "../../deps";
import { conflict, notFound } from "../../lib/errors";
import { type Principal, requireAccess } from "../../security/principal";
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
  return listEvents(deps.db, { ...filter, limit: filter.limit + 1 });
}

/** The event, when the principal may see it and it belongs to `webhookId` if given. */
export async function findEvent(
  deps: Deps,
  principal: Principal,
  id: string,
  webhookId?: string,
): Promise<EventRow> {
  requireAccess(principal, "read");
  const event = await getEvent(deps.db, id);
  if (!event || (webhookId !== undefined && event.webhookId !== webhookId)) {
    throw notFound("Event not found.");
  }
  await findWebhook(deps, principal, event.webhookId).catch(() => {
    throw notFound("Event not found.");
  });
  return event;
}

/** One fresh manual attempt of a finished event. */
export async function retryEvent(
  deps: Deps,
  principal: Principal,
  id: string,
  webhookId?: string,
): Promise<EventRow> {
  requireAccess(principal, "manage");
  const event = await findEvent(deps, principal, id, webhookId);
  if (event.deliveryStatus === "pending" || event.deliveryStatus === "retrying") {
    throw conflict(`The event is ${event.deliveryStatus}: it will be attempted anyway.`);
  }
  const webhook = await findWebhook(deps, principal, event.webhookId);
  if (!webhook.enabled) throw conflict("The webhook is disabled; enable it before retrying.");
  const [reopened] = await resend(deps, event.webhookId, [event.id]);
  if (!reopened) throw conflict("The event changed while retrying; try again.");
  return reopened;
}

export async function pageAttempts(
  deps: Deps,
  principal: Principal,
  eventId: string,
  after: number,
  limit: number,
) {
  await findEvent(deps, principal, eventId);
  return listAttempts(deps.db, eventId, after, limit + 1);
}
