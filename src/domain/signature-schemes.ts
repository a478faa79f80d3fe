/**
 * @module Which Standard Webhooks signatures a webhook's deliveries carry:
 * `v1` (HMAC-SHA256 with its `whsec_` secret), `v1a` (Ed25519 with its key
 * pair), or both. The schema, the API and the signer all read it; the
 * signing itself is src/delivery/attempt/signing.ts.
 */

export const SIGNATURE_SCHEMES = ["v1", "v1a", "v1+v1a"] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

export const signsWithSecret = (scheme: SignatureScheme) => scheme !== "v1a";
export const signsWithKey = (scheme: SignatureScheme) => scheme !== "v1";
