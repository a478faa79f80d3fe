/**
 * Issue #17, defect 3 and SPEC §5: the published payload reaches the receiver
 * byte for byte (numbers beyond double range or precision, -0, escapes,
 * whitespace), signed over those bytes; the JSON:API envelope embeds the same
 * text, and the message read back from the API keeps every number's text.
 */
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, inject, test } from "vitest";
import { ADMIN_TOKEN, createApplication, createWebhook } from "../helpers/api";
import { eventually } from "../helpers/eventually";
import { newHook } from "../helpers/hooks";
import { ALTERED_NUMBERS, numberText } from "../helpers/json-arbitraries";

const receiverUrl = inject("receiverUrl");

async function post(path: string, raw: string) {
  const res = await exports.default.fetch(`http://relay.test${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: raw,
  });
  return { status: res.status, text: await res.text() };
}

async function get(path: string) {
  const res = await exports.default.fetch(`http://relay.test${path}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return res.text();
}

/** The payload's text, as a client wrote it: odd spacing, escapes and every number given. */
function payloadText(numbers: string[]): string {
  return `{ "amounts" :[ ${numbers.join(" ,\n")} ],\t"first": ${numbers[0]}, "note":"caf\\u00e9 \\ud83d\\ude00 \\"q\\"" , "nested":{"n":${numbers.at(-1)}} }`;
}

describe("payload bytes", () => {
  test("any JSON number text reaches raw and jsonapi receivers unchanged, and verifies", async () => {
    const app = await createApplication();
    const rawHook = newHook(receiverUrl);
    const apiHook = newHook(receiverUrl);
    const raw = await createWebhook(app.id, rawHook.url);
    const jsonapi = await createWebhook(app.id, apiHook.url, { payload_format: "jsonapi" });
    let published = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(numberText, { minLength: 1, maxLength: 12 }), async (numbers) => {
        const payload = payloadText(numbers);
        const body = `{"application_id":"${app.id}", "event_type":"bytes.test",\n "payload" :  ${payload}  }`;
        const accepted = await post("/v1/messages", body);
        expect(accepted.status, accepted.text).toBe(202);
        published += 1;
        const id = (JSON.parse(accepted.text) as { id: string }).id;

        // The API's own answer keeps each number's text: the publish's 202,
        // and the message once recorded (about a second later).
        for (const n of numbers) expect(accepted.text).toContain(n);
        const read = await eventually(async () => {
          const text = await get(`/v1/messages/${id}`);
          expect(text).toContain(`"id":"${id}"`);
          return text;
        });
        for (const n of numbers) expect(read).toContain(n);
        expect(read).toContain(`"first":${numbers[0]}`);

        await eventually(async () => {
          const [rawGot, apiGot] = [await rawHook.received(), await apiHook.received()];
          expect(rawGot.requests).toHaveLength(published);
          expect(apiGot.requests).toHaveLength(published);
        });
        const rawRequest = (await rawHook.received()).requests.at(-1)!;
        expect(rawRequest.body).toBe(payload);
        expect(() => new Webhook(raw.secret).verify(rawRequest.body, rawRequest.headers)).not.toThrow();

        const apiRequest = (await apiHook.received()).requests.at(-1)!;
        expect(apiRequest.body.endsWith(`"attributes":${payload}}]}`)).toBe(true);
        expect(() => new Webhook(jsonapi.secret).verify(apiRequest.body, apiRequest.headers)).not.toThrow();
      }),
      { numRuns: 6, examples: [[ALTERED_NUMBERS]] },
    );
  });
});
