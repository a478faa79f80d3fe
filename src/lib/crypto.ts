/** @module Small Web Crypto helpers shared by signing and auth. */

const encoder = new TextEncoder();

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  // One call per 8 KiB rather than one per byte (every signature is encoded
  // here); a larger spread could overflow the stack.
  for (let i = 0; i < bytes.length; i += 8192) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return btoa(binary);
}

/** Base64url without padding (RFC 4648 §5), as JWKs, API keys and cursors carry bytes. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Bytes from base64url, padded or not (plain base64 reads too); throws on anything else. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  return fromBase64(text.replaceAll("-", "+").replaceAll("_", "/"));
}

/** Every byte's two hex digits: ids and digests are built from it, not a string per byte. */
export const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, b) =>
  b.toString(16).padStart(2, "0"),
);

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  let hex = "";
  for (const b of new Uint8Array(bytes)) hex += HEX_BYTE[b];
  return hex;
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/**
 * Whether two strings are equal, in time that depends only on their lengths:
 * the Workers runtime's `crypto.subtle.timingSafeEqual`, which refuses
 * inputs of different lengths, so those compare `a` with itself (the same
 * work as an equal-length compare) and answer false.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  if (left.byteLength !== right.byteLength) return !crypto.subtle.timingSafeEqual(left, left);
  return crypto.subtle.timingSafeEqual(left, right);
}
