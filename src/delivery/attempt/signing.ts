/**
 * @module Standard Webhooks signing: `whsec_` secrets (HMAC-SHA256, `v1`),
 * `whsk_`/`whpk_` Ed25519 key pairs (`v1a`), both over
 * "{id}.{timestamp}.{body}", and the space-separated list during a rotation.
 */
import { fromBase64, randomBytes, toBase64, toBase64Url } from "../../lib/crypto";

const PREFIX = "whsec_";
const PRIVATE_PREFIX = "whsk_";
const PUBLIC_PREFIX = "whpk_";
const encoder = new TextEncoder();

/** A fresh secret: `whsec_` and 24 random bytes in base64, as Svix issues them. */
export function generateSecret(): string {
  return PREFIX + toBase64(randomBytes(24));
}

/**
 * The base64 a `whsec_` secret carries: the standard alphabet, no whitespace.
 * atob() skips spaces and line breaks, the Standard Webhooks and Svix
 * libraries refuse them, so such a secret would verify nothing.
 */
const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

/** Whether `secret` is a usable `whsec_` secret of 24 to 64 key bytes. */
export function isValidSecret(secret: string): boolean {
  if (!SECRET_PATTERN.test(secret)) return false;
  try {
    const key = fromBase64(secret.slice(PREFIX.length));
    return key.length >= 24 && key.length <= 64;
  } catch {
    return false;
  }
}

export type KeyPair = {
  /** `whsk_` and the base64 32-byte Ed25519 seed; stored encrypted, never shown. */
  privateKey: string;
  /** `whpk_` and the base64 32-byte raw public key. */
  publicKey: string;
};

/**
 * PKCS #8 wrapping of an Ed25519 seed (RFC 8410): this fixed prefix, then the
 * 32 bytes. Web Crypto imports Ed25519 private keys only as PKCS #8 or JWK.
 */
const PKCS8_ED25519_PREFIX = fromBase64("MC4CAQAwBQYDK2VwBCIEIA==");

/** A fresh Ed25519 key pair, made with Web Crypto in the Worker. */
export async function generateKeyPair(): Promise<KeyPair> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(
    (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer,
  );
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  return {
    privateKey: PRIVATE_PREFIX + toBase64(pkcs8.subarray(PKCS8_ED25519_PREFIX.length)),
    publicKey: PUBLIC_PREFIX + toBase64(raw),
  };
}

/** The JWK of a `whpk_` public key, with its RFC 7638 thumbprint as `kid`. */
export async function publicJwk(publicKey: string) {
  const x = toBase64Url(fromBase64(publicKey.slice(PUBLIC_PREFIX.length)));
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const canonical = JSON.stringify({ crv: "Ed25519", kty: "OKP", x });
  const thumbprint = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(canonical)));
  return {
    kty: "OKP" as const,
    crv: "Ed25519" as const,
    x,
    kid: toBase64Url(thumbprint),
    use: "sig" as const,
    alg: "EdDSA" as const,
  };
}

/** What signs a webhook's deliveries: `whsec_` secrets and `whsk_` private keys, newest first. */
export type SigningMaterial = {
  secrets: string[];
  privateKeys: string[];
};

/**
 * Signs with keys imported once: build one per webhook version and keep it
 * (credentials.ts's SignerCache, which dispatch.ts's Dispatcher holds), so
 * an attempt costs the signatures only.
 */
export type Signer = (webhookId: string, timestamp: number, body: string) => Promise<string>;

export async function createSigner(material: SigningMaterial): Promise<Signer> {
  const hmacKeys = await Promise.all(
    material.secrets.map((secret) =>
      crypto.subtle.importKey(
        "raw",
        fromBase64(secret.slice(PREFIX.length)),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      ),
    ),
  );
  const edKeys = await Promise.all(
    material.privateKeys.map((key) => {
      const seed = fromBase64(key.slice(PRIVATE_PREFIX.length));
      const pkcs8 = new Uint8Array(PKCS8_ED25519_PREFIX.length + seed.length);
      pkcs8.set(PKCS8_ED25519_PREFIX);
      pkcs8.set(seed, PKCS8_ED25519_PREFIX.length);
      return crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
    }),
  );
  return async (webhookId, timestamp, body) => {
    const content = encoder.encode(`${webhookId}.${timestamp}.${body}`);
    const signatures = await Promise.all([
      ...hmacKeys.map(
        async (key) =>
          `v1,${toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, content)))}`,
      ),
      ...edKeys.map(
        async (key) =>
          `v1a,${toBase64(new Uint8Array(await crypto.subtle.sign("Ed25519", key, content)))}`,
      ),
    ]);
    return signatures.join(" ");
  };
}
