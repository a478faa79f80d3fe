/**
 * @module A webhook's signing credentials as its row stores them: which sign
 * now (rotation overlaps), the signer built from them once per webhook
 * version, its public keys as a JWKS, and fresh ones sealed for storage
 * (src/security/secrets-at-rest.ts).
 */
import type { WebhookRow } from "../../db/schema";
import { signsWithKey, signsWithSecret } from "../../domain/signature-schemes";
import { toRfc3339 } from "../../lib/time";
import { type SecretBox, UnreadableSecretError } from "../../security/secrets-at-rest";
import { createSigner, generateKeyPair, publicJwk, type Signer } from "./signing";

/** The columns that hold `whsec_`/`whsk_` material, each stored sealed. */
export const SEALED_COLUMNS = ["secret", "previousSecret", "privateKey", "previousPrivateKey"] as const;
export type SealedColumn = (typeof SEALED_COLUMNS)[number];
export type Credentials = Pick<
  WebhookRow,
  | "id"
  | SealedColumn
  | "signatureScheme"
  | "previousSecretExpiresAt"
  | "publicKey"
  | "previousPublicKey"
  | "previousKeyExpiresAt"
>;

const stillValid = (expiresAt: string | null, at: Date) =>
  expiresAt !== null && expiresAt > toRfc3339(at);

/**
 * The stored secrets and private keys that sign at `at`, as the scheme asks:
 * the current ones first, the previous ones during their 24-hour overlap.
 */
export function activeCredentials(row: Credentials, at: Date) {
  const secrets: string[] = [];
  const privateKeys: string[] = [];
  if (signsWithSecret(row.signatureScheme)) {
    secrets.push(row.secret);
    if (row.previousSecret && stillValid(row.previousSecretExpiresAt, at)) {
      secrets.push(row.previousSecret);
    }
  }
  if (signsWithKey(row.signatureScheme) && row.privateKey) {
    privateKeys.push(row.privateKey);
    if (row.previousPrivateKey && stillValid(row.previousKeyExpiresAt, at)) {
      privateKeys.push(row.previousPrivateKey);
    }
  }
  return { secrets, privateKeys };
}

/** The public keys receivers may verify with at `at`: the current one first. */
export function activePublicKeys(row: Credentials, at: Date): string[] {
  if (!signsWithKey(row.signatureScheme) || !row.publicKey) return [];
  const keys = [row.publicKey];
  if (row.previousPublicKey && stillValid(row.previousKeyExpiresAt, at)) {
    keys.push(row.previousPublicKey);
  }
  return keys;
}

export async function jwks(row: Credentials, at: Date) {
  return { keys: await Promise.all(activePublicKeys(row, at).map(publicJwk)) };
}

/** A value of a sealed column in clear (`whsec_…`, `whsk_…`). */
export async function openColumn(box: SecretBox, row: Credentials, stored: string): Promise<string> {
  return (await box.open(row.id, stored)).value;
}

/**
 * Whether a stored value still opens: false for one no key opens any more
 * (RELAY_ENCRYPTION_KEY lost and replaced), which can never sign again.
 */
export async function opens(box: SecretBox, row: Pick<Credentials, "id">, stored: string): Promise<boolean> {
  try {
    await box.open(row.id, stored);
    return true;
  } catch (error) {
    if (error instanceof UnreadableSecretError) return false;
    throw error;
  }
}

/**
 * Keeps one signer per webhook version: decrypting and importing happen when
 * the stored credentials (or which of them sign) change, not per attempt.
 */
export class SignerCache {
  private cached: { version: string; signer: Promise<Signer> } | null = null;

  get(row: Credentials, at: Date, box: () => SecretBox): Promise<Signer> {
    const active = activeCredentials(row, at);
    const version = JSON.stringify([row.id, active]);
    if (this.cached?.version === version) return this.cached.signer;
    const signer = (async () => {
      const b = box();
      const open = (stored: string) => openColumn(b, row, stored);
      return createSigner({
        secrets: await Promise.all(active.secrets.map(open)),
        privateKeys: await Promise.all(active.privateKeys.map(open)),
      });
    })();
    this.cached = { version, signer };
    // A failure (no key, wrong key) is not kept: the next attempt tries again.
    signer.catch(() => {
      if (this.cached?.signer === signer) this.cached = null;
    });
    return signer;
  }
}

/** A fresh key pair for row `rowId`: the public key in clear, the private one sealed. */
export async function sealedKeyPair(box: SecretBox, rowId: string) {
  const pair = await generateKeyPair();
  return { publicKey: pair.publicKey, privateKey: await box.seal(rowId, pair.privateKey) };
}

/**
 * The row's sealed columns rewritten under the current key, for those that
 * are not (previous key, or in clear from an earlier version); null when
 * every one already is.
 */
export async function resealed(
  box: SecretBox,
  row: Pick<Credentials, "id" | SealedColumn>,
): Promise<Partial<Record<SealedColumn, string>> | null> {
  const changes: Partial<Record<SealedColumn, string>> = {};
  for (const column of SEALED_COLUMNS) {
    const stored = row[column];
    if (stored === null) continue;
    const opened = await box.open(row.id, stored);
    if (!opened.current) changes[column] = await box.seal(row.id, opened.value);
  }
  return Object.keys(changes).length > 0 ? changes : null;
}
