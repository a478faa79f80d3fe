/** @module TEMPORARY stub until the full checker lands. */
export type UrlCheck = { ok: true; url: string } | { ok: false; reason: string };
export function checkWebhookUrl(input: string, options: { allowPrivate: boolean }): UrlCheck {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, reason: "url is not a valid URL" };
  }
  if (url.protocol !== "https:" && !(options.allowPrivate && url.protocol === "http:")) {
    return { ok: false, reason: "url must use https" };
  }
  if (url.username || url.password)
    return { ok: false, reason: "url must not contain credentials" };
  return { ok: true, url: url.href };
}
