/**
 * @module Verifying a delivery on the receiving side. Delegates to the
 * `standardwebhooks` package, the reference implementation of the scheme the
 * relay signs with, rather than computing HMACs here: the point of a standard
 * is that receivers need not trust the sender's own code.
 */
import { Webhook, WebhookVerificationError } from "standardwebhooks";

export { WebhookVerificationError };

/** The Standard Webhooks headers of a delivery, from any header container. */
export type DeliveryHeaders = Headers | Record<string, string | string[] | undefined>;

function plainHeaders(headers: DeliveryHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      out[name] = value;
    });
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/**
 * Checks a delivery's `webhook-signature` against the webhook's `whsec_…`
 * secret (either signature passes while a rotation keeps two), and that its
 * `webhook-timestamp` is within five minutes; returns the parsed body.
 * Pass the body exactly as received, before any JSON parsing.
 *
 * @throws WebhookVerificationError when the signature or timestamp is wrong.
 */
export function verifyWebhook(secret: string, body: string, headers: DeliveryHeaders): unknown {
  return new Webhook(secret).verify(body, plainHeaders(headers));
}
