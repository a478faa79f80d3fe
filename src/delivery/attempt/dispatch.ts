/**
 * @module One attempt of one held event, in Svix's worker steps: prepare
 * (render the body, sign it), send, and decide what the answer means. It
 * records nothing: the object applies the outcome
 * (src/delivery/webhook-object/webhook-do.ts).
 */
import type { WebhookRow } from "../../db/schema";
import type { Deps } from "../../deps";
import type { AttemptRecord, Event } from "../../domain/event";
import { attemptIdFor } from "../../domain/event-ids";
import { describeError } from "../../lib/log";
import { toRfc3339, unixSeconds } from "../../lib/time";
import { usage } from "../../lib/usage";
import { secretBox } from "../../security/secrets-at-rest";
import { USER_AGENT } from "../../version";
import { type AttemptResult, sendAttempt } from "./attempt";
import { SignerCache } from "./credentials";
import { Deadlines } from "./deadlines";
import { decideOutcome, type Outcome } from "./outcome";
import { renderBody } from "./payload";
import type { Signer } from "./signing";

export type Dispatched = {
  result: AttemptResult;
  outcome: Outcome;
  record: AttemptRecord;
  finishedAt: Date;
};

/**
 * A webhook object's sender: its signer, decrypted and imported once per
 * webhook version rather than per attempt, and one timer for its attempts'
 * deadlines.
 */
export class Dispatcher {
  private readonly signers = new SignerCache();
  private readonly deadlines = new Deadlines();

  /**
   * The event's next attempt, made; null when it could not be prepared (no
   * usable key: logged), for it is never sent unsigned.
   */
  async send(deps: Deps, webhook: WebhookRow, event: Event): Promise<Dispatched | null> {
    try {
      const sign = await this.signers.get(webhook, deps.now(), () => secretBox(deps.settings));
      return await dispatch(deps, webhook, event, sign, this.deadlines);
    } catch (error) {
      deps.log("error", "preparing an attempt failed", {
        webhook_id: webhook.id,
        event_id: event.eventId,
        ...describeError(error),
      });
      return null;
    }
  }
}

/**
 * Prepares, signs and sends the event's next attempt, within the object's
 * deadlines; never throws for the receiver's sake.
 */
async function dispatch(
  deps: Deps,
  webhook: WebhookRow,
  event: Event,
  sign: Signer,
  deadlines: Deadlines,
): Promise<Dispatched> {
  const startedAt = deps.now();
  const started = toRfc3339(startedAt);
  const attempt = event.attempts + 1;
  const body = renderBody(
    webhook.payloadFormat,
    {
      id: event.messageId,
      eventType: event.eventType,
      payload: event.payload,
      createdAt: event.messageCreatedAt,
      resourceType: event.resourceType,
      resourceId: event.resourceId,
    },
    started,
  );
  const timestamp = unixSeconds(startedAt);
  const result = await sendAttempt(
    {
      url: webhook.url,
      body,
      timeoutMs: webhook.timeoutMs,
      headers: {
        ...webhook.headers,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event.eventId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await sign(event.eventId, timestamp, body),
      },
    },
    deliveryFetch(deps, webhook.tlsClientCertificate),
    deps.now,
    deadlines,
  );
  usage.subrequests += 1;
  const finishedAt = deps.now();
  const outcome = decideOutcome({
    result,
    attempt,
    maxAttempts: event.maxAttempts,
    manual: event.manual,
    policy: webhook.retryPolicy,
    now: finishedAt.getTime(),
    random: deps.random,
  });
  return {
    result,
    outcome,
    finishedAt,
    record: {
      id: attemptIdFor(event.eventId, attempt, startedAt.getTime()),
      attempt,
      startedAt: started,
      durationMs: result.durationMs,
      httpStatusCode: result.httpStatusCode,
      responseBody: result.responseBody,
      errorMessage: result.errorMessage,
    },
  };
}

/**
 * Plain fetch, or the mTLS certificate binding's, which presents the client
 * certificate; sendAttempt's timeout and no-redirect rules apply to either.
 * A binding removed from the Worker since fails the attempt, never falls back
 * to a fetch without the certificate.
 */
function deliveryFetch(deps: Deps, certificate: string | null): typeof fetch {
  if (certificate === null) return deps.fetch;
  const binding = deps.clientCertificates.get(certificate);
  if (!binding) {
    return () =>
      Promise.reject(
        new Error(`the mTLS certificate binding ${certificate} is not bound to this relay`),
      );
  }
  return (input, init) => binding.fetch(input, init);
}
