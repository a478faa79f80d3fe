/**
 * @module Standard Webhooks signing: `whsec_` secrets, HMAC-SHA256 over
 * "{id}.{timestamp}.{body}", and the space-separated pair during a rotation.
 */
import { fromBase64, hmacSha256, importHmacKey, randomBytes, toBase64 } from "../lib/crypto";

const PREFIX = "whsec_";

/**
 * Imported keys by secret: importing costs more than signing a small body,
 * and an object signs with the same one or two secrets all day. Bounded, so
 * an isolate that serves many webhooks keeps only the recent ones.
 */
const keys = new Map<string, Promise<CryptoKey>>();
const MAX_KEYS = 256;

function signingKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = importHmacKey(fromBase64(secret.slice(PREFIX.length)));
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value!);
    keys.set(secret, key);
    // A failed import is not kept: the next attempt tries again.
    key.catch(() => keys.delete(secret));
  }
  return key;
}

/** A fresh secret: `whsec_` and 24 random bytes in base64, as Svix issues them. */
export function generateSecret(): string {
  return PREFIX + toBase64(randomBytes(24));
}

/** Whether `secret` is a usable `whsec_` secret of 24 to 64 key bytes. */
export function isValidSecret(secret: string): boolean {
  if (!secret.startsWith(PREFIX)) return false;
  try {
    const key = fromBase64(secret.slice(PREFIX.length));
    return key.length >= 24 && key.length <= 64;
  } catch {
    return false;
  }
}

/**
 * The `webhook-signature` header value: one `v1,<base64>` per secret, in the
 * order given (the new secret first during a rotation).
 */
export async function signatureHeader(
  secrets: string[],
  webhookId: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const content = `${webhookId}.${timestamp}.${body}`;
  const signatures = await Promise.all(
    secrets.map(async (secret) => {
      return `v1,${toBase64(await hmacSha256(await signingKey(secret), content))}`;
    }),
  );
  return signatures.join(" ");
}
