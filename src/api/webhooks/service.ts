/** @module Webhook logic, free of HTTP. */
import type { z } from "@hono/zod-openapi";
import { requireCatalogued } from "../../catalog/catalog";
import { getApplication } from "../../db/queries/applications";
import {
  deleteWebhook,
  getWebhook,
  insertWebhookWithinLimit,
  listWebhooks,
  updateWebhook,
  type WebhookChanges,
} from "../../db/queries/webhooks";
import type { WebhookRow } from "../../db/schema";
import { jwks, openColumn, opens, sealedKeyPair } from "../../delivery/attempt/credentials";
import { generateSecret } from "../../delivery/attempt/signing";
import { matchesFilter } from "../../delivery/filter";
import { type Deps, webhookObject } from "../../deps";
import { type Event, type EventRow, eventFieldsOf } from "../../domain/event";
import { eventIdFor } from "../../domain/event-ids";
import { type SignatureScheme, signsWithKey, signsWithSecret } from "../../domain/signature-schemes";
import { conflict, forbidden, notFound, unprocessable } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { DAY_MS, toRfc3339, unixSeconds } from "../../lib/time";
import {
  type Access,
  type Principal,
  requireAccess,
  requireApplication,
  requireOperator,
} from "../../security/principal";
import { secretBox } from "../../security/secrets-at-rest";
import { checkWebhookUrl } from "../../security/url-safety";
import { countSelected, failedIn } from "../../storage/events";
import { recordMessages } from "../../storage/messages";
import { WEBHOOK_DEFAULTS } from "./defaults";
import {
  type createWebhookSchema,
  type filterTestSchema,
  type recoverSchema,
  type updateWebhookSchema,
  type WebhookSecret,
} from "./schemas";

/**
 * The webhook, if the principal's scope allows `access` (403 otherwise) and
 * it may see the webhook (404 otherwise, also for other tenants').
 */
export async function findWebhook(
  deps: Deps,
  principal: Principal,
  id: string,
  access: Access = "read",
): Promise<WebhookRow> {
  requireAccess(principal, access);
  const webhook = await getWebhook(deps.db, id);
  if (!webhook) throw notFound("Webhook not found.");
  requireApplication(principal, webhook.applicationId, "Webhook");
  return webhook;
}

function safeUrl(deps: Deps, url: string): string {
  const check = checkWebhookUrl(url, { allowPrivate: deps.settings.allowPrivateUrls });
  if (!check.ok) throw unprocessable([{ path: "url", message: check.reason }]);
  return check.url;
}

/**
 * The certificate binding's name, if the Worker has it (422 otherwise). A
 * certificate is the provider's identity: a portal link may not choose one
 * (403), only leave the webhook's as it is (`current`), as a form that sends
 * every field does.
 */
function boundCertificate(
  deps: Deps,
  principal: Principal,
  name: string | null,
  current: string | null,
): string | null {
  if (principal.kind === "portal_link" && name !== current) {
    throw forbidden("A portal link may not set tls_client_certificate.");
  }
  if (name === null || deps.clientCertificates.has(name)) return name;
  throw unprocessable([
    {
      path: "tls_client_certificate",
      message: "not an mTLS certificate binding of this relay (GET /v1/tls-client-certificates lists them)",
    },
  ]);
}

/**
 * The webhook's new URL, when safe. A webhook that presents the provider's
 * client certificate stays where the provider put it: a portal link moving it
 * would have the relay present that identity to an address of the customer's
 * choosing (403).
 */
function movedUrl(deps: Deps, principal: Principal, webhook: WebhookRow, input: string): string {
  const url = safeUrl(deps, input);
  if (principal.kind === "portal_link" && webhook.tlsClientCertificate !== null && url !== webhook.url) {
    throw forbidden("A portal link may not move a webhook that presents a client certificate.");
  }
  return url;
}

/** A custom secret only where the scheme signs with one, so it is never silently unused. */
function requireSecretScheme(scheme: SignatureScheme, secret: string | undefined): void {
  if (secret !== undefined && !signsWithSecret(scheme)) {
    throw unprocessable([
      { path: "secret", message: `signature_scheme ${scheme} signs with no secret` },
    ]);
  }
}

/** `fifo` delivers one at a time by definition, whatever max_in_flight says. */
function inFlightFor(ordering: "none" | "fifo", requested: number): number {
  return ordering === "fifo" ? 1 : requested;
}

export async function createWebhook(
  deps: Deps,
  principal: Principal,
  input: z.infer<typeof createWebhookSchema>,
): Promise<{ row: WebhookRow; secret: string | null }> {
  requireAccess(principal, "webhooks");
  requireApplication(principal, input.application_id, "Application");
  const url = safeUrl(deps, input.url);
  await requireCatalogued(deps, input.event_types ?? []);
  const scheme = input.signature_scheme ?? "v1";
  requireSecretScheme(scheme, input.secret);
  const tlsClientCertificate = boundCertificate(
    deps,
    principal,
    input.tls_client_certificate ?? null,
    null,
  );
  const now = toRfc3339(deps.now());
  const enabled = input.enabled ?? true;
  const ordering = input.ordering ?? WEBHOOK_DEFAULTS.ordering;
  const id = uuidv7();
  const box = secretBox(deps.settings);
  // Every webhook has an HMAC secret, so that a later switch to v1 needs no new one.
  const secret = input.secret ?? generateSecret();
  const keys = signsWithKey(scheme) ? await sealedKeyPair(box, id) : null;
  const created = await insertWebhookWithinLimit(deps.db, {
    id,
    applicationId: input.application_id,
    url,
    name: input.name ?? null,
    eventTypes: input.event_types ?? [],
    enabled,
    disabledReason: enabled ? null : "manual",
    retryPolicy: input.retry_policy ?? WEBHOOK_DEFAULTS.retry_policy,
    timeoutMs: input.timeout_ms ?? WEBHOOK_DEFAULTS.timeout_ms,
    headers: input.headers ?? {},
    ordering,
    maxInFlight: inFlightFor(ordering, input.max_in_flight ?? WEBHOOK_DEFAULTS.max_in_flight),
    rateLimitPerSecond: input.rate_limit_per_second ?? null,
    payloadFormat: input.payload_format ?? WEBHOOK_DEFAULTS.payload_format,
    metadata: input.metadata ?? {},
    secret: await box.seal(id, secret),
    signatureScheme: scheme,
    publicKey: keys?.publicKey ?? null,
    privateKey: keys?.privateKey ?? null,
    tlsClientCertificate,
    filter: input.filter ?? null,
    createdAt: now,
    updatedAt: now,
  });
  if (created) return { row: created, secret: signsWithSecret(scheme) ? secret : null };
  // Nothing inserted: the application is gone (perhaps deleted meanwhile) or full.
  const app = await getApplication(deps.db, input.application_id);
  if (!app) throw notFound("Application not found (application_id).");
  throw conflict(`The application has reached its limit of ${app.webhookLimit} webhooks.`);
}

export async function changeWebhook(
  deps: Deps,
  principal: Principal,
  id: string,
  input: z.infer<typeof updateWebhookSchema>,
): Promise<WebhookRow> {
  const webhook = await findWebhook(deps, principal, id, "webhooks");
  if (input.event_types !== undefined) await requireCatalogued(deps, input.event_types);
  const ordering = input.ordering ?? webhook.ordering;
  const scheme = input.signature_scheme ?? webhook.signatureScheme;
  const keys =
    signsWithKey(scheme) && !webhook.privateKey
      ? await sealedKeyPair(secretBox(deps.settings), id)
      : {};
  const changes: WebhookChanges = {
    ...(input.url !== undefined ? { url: movedUrl(deps, principal, webhook, input.url) } : {}),
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.event_types !== undefined ? { eventTypes: input.event_types } : {}),
    ...(input.retry_policy !== undefined ? { retryPolicy: input.retry_policy } : {}),
    ...(input.timeout_ms !== undefined ? { timeoutMs: input.timeout_ms } : {}),
    ...(input.headers !== undefined ? { headers: input.headers } : {}),
    ...(input.rate_limit_per_second !== undefined
      ? { rateLimitPerSecond: input.rate_limit_per_second }
      : {}),
    ...(input.payload_format !== undefined ? { payloadFormat: input.payload_format } : {}),
    ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
    ...(input.tls_client_certificate !== undefined
      ? {
          tlsClientCertificate: boundCertificate(
            deps,
            principal,
            input.tls_client_certificate,
            webhook.tlsClientCertificate,
          ),
        }
      : {}),
    signatureScheme: scheme,
    ...keys,
    ...(input.filter !== undefined ? { filter: input.filter } : {}),
    ...(input.enabled !== undefined && input.enabled !== webhook.enabled
      ? { enabled: input.enabled, disabledReason: input.enabled ? null : ("manual" as const) }
      : {}),
    ordering,
    maxInFlight: inFlightFor(ordering, input.max_in_flight ?? webhook.maxInFlight),
    updatedAt: toRfc3339(deps.now()),
  };
  const updated = await updateWebhook(deps.db, id, changes);
  if (!updated) throw notFound("Webhook not found.");
  if (changes.enabled === false) {
    // The object tells the operations application (SPEC §7.7), keeping the event until it is published.
    await webhookObject(deps, id).disabledManually(id, updated.applicationId, updated.updatedAt);
  } else {
    await webhookObject(deps, id).settingsChanged();
  }
  return updated;
}

export async function removeWebhook(deps: Deps, principal: Principal, id: string): Promise<void> {
  await findWebhook(deps, principal, id, "webhooks");
  await deleteWebhook(deps.db, id);
  await webhookObject(deps, id).forget();
}

export async function pageWebhooks(
  deps: Deps,
  principal: Principal,
  applicationId: string | undefined,
  before: string | undefined,
  limit: number,
): Promise<WebhookRow[]> {
  requireAccess(principal, "read");
  if (applicationId) requireApplication(principal, applicationId, "Application");
  return listWebhooks(deps.db, {
    applicationId: principal.applicationId ?? applicationId,
    before,
    limit: limit + 1,
  });
}

/** Old secret keeps signing beside the new one this long, so receivers can roll over. */
const ROTATION_OVERLAP_MS = DAY_MS;

/**
 * Rotates whatever the scheme signs with (the HMAC secret, the key pair, or
 * both); the old ones keep signing beside the new for ROTATION_OVERLAP_MS,
 * unless no key opens them any more (the encryption key was lost and
 * replaced): those could never sign again and would hold every delivery
 * back for the overlap, so they go.
 */
export async function rotateSecret(
  deps: Deps,
  principal: Principal,
  id: string,
  secret: string | undefined,
): Promise<WebhookRow> {
  const webhook = await findWebhook(deps, principal, id, "webhooks");
  const scheme = webhook.signatureScheme;
  requireSecretScheme(scheme, secret);
  const box = secretBox(deps.settings);
  const now = deps.now();
  const until = toRfc3339(now.getTime() + ROTATION_OVERLAP_MS);
  const changes: WebhookChanges = { updatedAt: toRfc3339(now) };
  if (signsWithSecret(scheme)) {
    const keep = await opens(box, webhook, webhook.secret);
    changes.secret = await box.seal(id, secret ?? generateSecret());
    changes.previousSecret = keep ? webhook.secret : null;
    changes.previousSecretExpiresAt = keep ? until : null;
  }
  if (signsWithKey(scheme)) {
    const keep = webhook.privateKey !== null && (await opens(box, webhook, webhook.privateKey));
    const keys = await sealedKeyPair(box, id);
    changes.publicKey = keys.publicKey;
    changes.privateKey = keys.privateKey;
    changes.previousPublicKey = keep ? webhook.publicKey : null;
    changes.previousPrivateKey = keep ? webhook.privateKey : null;
    changes.previousKeyExpiresAt = keep ? until : null;
  }
  const updated = await updateWebhook(deps.db, id, changes);
  if (!updated) throw notFound("Webhook not found.");
  await webhookObject(deps, id).settingsChanged();
  return updated;
}

/** What verifies the webhook's signatures: its secret (decrypted) and public key, as the scheme uses them. */
export async function secretObject(deps: Deps, webhook: WebhookRow): Promise<WebhookSecret> {
  const hmac = signsWithSecret(webhook.signatureScheme);
  const key = signsWithKey(webhook.signatureScheme);
  return {
    object: "webhook_secret",
    webhook_id: webhook.id,
    secret: hmac ? await openColumn(secretBox(deps.settings), webhook, webhook.secret) : null,
    previous_secret_expires_at: hmac ? webhook.previousSecretExpiresAt : null,
    public_key: key ? webhook.publicKey : null,
    previous_public_key_expires_at: key ? webhook.previousKeyExpiresAt : null,
  };
}

/** The webhook's public keys as a JWKS: the current one first, the previous one during its overlap. */
export async function webhookJwks(deps: Deps, principal: Principal, id: string) {
  const webhook = await findWebhook(deps, principal, id, "read");
  return jwks(webhook, deps.now());
}

/** The names of the relay's mTLS certificate bindings, for webhooks' `tls_client_certificate`. */
export function listClientCertificates(deps: Deps, principal: Principal): string[] {
  // The relay's own bindings, no one tenant's: operators only (SPEC §7.3, §7.8).
  requireOperator(principal);
  return [...deps.clientCertificates.keys()].sort();
}

/**
 * Delivers a TEST_EVENT to this webhook now, whatever its event types. It is a
 * real message and event, so the events list shows it and it can be retried.
 */
export async function sendTestEvent(
  deps: Deps,
  principal: Principal,
  id: string,
): Promise<EventRow> {
  const webhook = await findWebhook(deps, principal, id, "webhooks");
  if (!webhook.enabled) throw conflict("The webhook is disabled; enable it before sending a test.");
  const now = deps.now();
  const at = toRfc3339(now);
  const payload = JSON.stringify({
    content: { webhook_id: webhook.id },
    timestamp: unixSeconds(now),
    type: "TEST_EVENT",
  });
  const message = {
    id: uuidv7(now.getTime()),
    applicationId: webhook.applicationId,
    eventType: "TEST_EVENT",
    payload,
    idempotencyKey: null,
    resourceType: null,
    resourceId: null,
    createdAt: at,
    // To this webhook only, whatever its event types.
    webhookIds: [webhook.id],
  };
  const { refused } = await recordMessages(deps.history, [message]);
  if (refused[0]) throw refused[0];
  const event: Event = {
    ...eventFieldsOf(message),
    eventId: await eventIdFor(message.id, webhook.id),
    createdAt: at,
    attempts: 0,
    attemptLog: [],
    // A test is one attempt: it answers "does my endpoint work now?".
    maxAttempts: 1,
    manual: true,
    requestId: deps.requestId,
  };
  await webhookObject(deps, webhook.id).enqueue(webhook.id, [event]);
  return {
    webhookId: webhook.id,
    id: event.eventId,
    messageId: message.id,
    type: "TEST_EVENT",
    deliveryStatus: "pending",
    deliveryAttempts: 0,
    maxAttempts: 1,
    httpStatusCode: 0,
    errorMessage: "",
    nextAttemptAt: at,
    attemptLog: [],
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * A request's window (recover, replay) as stored times: `until` defaults to
 * now and may not be before `since` (422).
 */
export function windowOf(
  input: { since: string; until?: string | undefined },
  now: Date,
): { since: string; until: string } {
  // Instants, not strings: "…T10:00:00+02:00" is before "…T09:00:00Z".
  const sinceMs = Date.parse(input.since);
  const untilMs = input.until ? Date.parse(input.until) : now.getTime();
  if (untilMs < sinceMs)
    throw unprocessable([{ path: "until", message: "until must not be before since" }]);
  return { since: toRfc3339(sinceMs), until: toRfc3339(untilMs) };
}

export async function recoverEvents(
  deps: Deps,
  principal: Principal,
  id: string,
  input: z.infer<typeof recoverSchema>,
) {
  const webhook = await findWebhook(deps, principal, id, "webhooks");
  const { since, until } = windowOf(input, deps.now());
  const task = { webhookId: webhook.id, since, until };
  const matched = await countSelected(
    deps.history,
    { webhookId: webhook.id, applicationId: webhook.applicationId },
    failedIn(task),
  );
  if (matched > 0) await deps.queue.send({ kind: "recover", ...task });
  return { object: "recovery" as const, webhook_id: webhook.id, since, until, count: matched };
}

/**
 * Served by the webhook's object from its hourly rollups: a bounded read,
 * however long the history (D1 is read once, for the webhook itself).
 */
export async function webhookStats(deps: Deps, principal: Principal, id: string) {
  const webhook = await findWebhook(deps, principal, id, "read");
  return webhookObject(deps, webhook.id).stats(webhook.id);
}

/**
 * Whether a message would pass the webhook's filter (no filter: it would).
 * Stores nothing and reveals only what reading the webhook shows, so read
 * access suffices. Event types are not considered: this tests the filter.
 */
export async function testFilter(
  deps: Deps,
  principal: Principal,
  id: string,
  input: z.infer<typeof filterTestSchema>,
): Promise<{ matches: boolean }> {
  const webhook = await findWebhook(deps, principal, id, "read");
  const matches =
    webhook.filter === null ||
    matchesFilter(webhook.filter, { event_type: input.event_type, payload: input.payload });
  return { matches };
}
