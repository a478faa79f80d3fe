/**
 * @module Signing secrets and private keys at rest: AES-256-GCM under
 * RELAY_ENCRYPTION_KEY, the row's id as associated data, so a value copied
 * to another row does not decrypt. Stored as `enc1:<base64 of IV ‖ ciphertext ‖ tag>`.
 * RELAY_ENCRYPTION_KEY_PREVIOUS is tried when the current key fails. A value
 * not sealed is unreadable like a tampered one: every version of hookrelay
 * ever deployed seals what it stores (README, "Deviations from the spec").
 */
import type { Settings } from "../env";
import { fromBase64, randomBytes, toBase64 } from "../lib/crypto";
import { ApiError, notConfigured } from "../lib/errors";

const SEALED = "enc1:";
const IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Opened = {
  value: string;
  /** Stored under the current key; false: under the previous key. */
  current: boolean;
};

export type SecretBox = {
  seal(rowId: string, plaintext: string): Promise<string>;
  open(rowId: string, stored: string): Promise<Opened>;
};

/** Settings already checked: the answer is asked on every API call. */
const checked = new WeakMap<Settings, string | null>();

/** Why the key setting is unusable, or null: the API answers 503 with it. */
export function encryptionKeyProblem(settings: Settings): string | null {
  let problem = checked.get(settings);
  if (problem === undefined) {
    problem = keyProblem(settings);
    checked.set(settings, problem);
  }
  return problem;
}

function keyProblem(settings: Settings): string | null {
  if (!settings.encryptionKey) {
    return "RELAY_ENCRYPTION_KEY is not set; the relay refuses API calls until it is.";
  }
  if (!keyBytes(settings.encryptionKey)) {
    return "RELAY_ENCRYPTION_KEY is not the base64 of 32 bytes; fix the setting.";
  }
  if (settings.encryptionKeyPrevious && !keyBytes(settings.encryptionKeyPrevious)) {
    return "RELAY_ENCRYPTION_KEY_PREVIOUS is not the base64 of 32 bytes; fix or remove the setting.";
  }
  return null;
}

function keyBytes(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const bytes = fromBase64(text.trim());
    return bytes.length === 32 ? bytes : null;
  } catch {
    return null;
  }
}

function importKey(bytes: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", bytes, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

/**
 * A stored value neither key opens: the keys were changed without
 * `reencrypt`, or the row was tampered with (or holds a value never sealed). The API answers 503 (the relay
 * is misconfigured, not the request wrong); the delivery path signs nothing.
 */
export class UnreadableSecretError extends ApiError {
  constructor(detail: string) {
    super(503, "Service Unavailable", detail);
  }
}

const boxes = new WeakMap<Settings, SecretBox>();

/**
 * The box for these settings, its keys imported once per isolate (settings
 * are cached per environment). Throws 503 when the key setting is unusable.
 */
export function secretBox(settings: Settings): SecretBox {
  const cached = boxes.get(settings);
  if (cached) return cached;
  const problem = encryptionKeyProblem(settings);
  if (problem) throw notConfigured(problem);
  const current = importKey(keyBytes(settings.encryptionKey!)!);
  const previous = settings.encryptionKeyPrevious
    ? importKey(keyBytes(settings.encryptionKeyPrevious)!)
    : null;
  const decrypt = async (key: Promise<CryptoKey>, rowId: string, sealed: Uint8Array<ArrayBuffer>) =>
    decoder.decode(
      await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: sealed.subarray(0, IV_BYTES), additionalData: encoder.encode(rowId) },
        await key,
        sealed.subarray(IV_BYTES),
      ),
    );
  const box: SecretBox = {
    async seal(rowId, plaintext) {
      const iv = randomBytes(IV_BYTES);
      const ciphertext = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: "AES-GCM", iv, additionalData: encoder.encode(rowId) },
          await current,
          encoder.encode(plaintext),
        ),
      );
      const sealed = new Uint8Array(IV_BYTES + ciphertext.length);
      sealed.set(iv);
      sealed.set(ciphertext, IV_BYTES);
      return SEALED + toBase64(sealed);
    },
    async open(rowId, stored) {
      if (!stored.startsWith(SEALED)) throw new UnreadableSecretError("a stored secret is not sealed");
      let sealed: Uint8Array<ArrayBuffer>;
      try {
        sealed = fromBase64(stored.slice(SEALED.length));
      } catch {
        throw new UnreadableSecretError("a stored secret is not valid base64");
      }
      try {
        return { value: await decrypt(current, rowId, sealed), current: true };
      } catch {
        // Not under the current key: perhaps under the one before it.
      }
      if (previous) {
        try {
          return { value: await decrypt(previous, rowId, sealed), current: false };
        } catch {
          // Neither key: reported below.
        }
      }
      throw new UnreadableSecretError(
        "a stored secret opens with neither RELAY_ENCRYPTION_KEY nor RELAY_ENCRYPTION_KEY_PREVIOUS",
      );
    },
  };
  boxes.set(settings, box);
  return box;
}
