import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { RESPONSE_BODY_LIMIT, sendAttempt } from "../../../../src/delivery/attempt/attempt";
import { Deadlines } from "../../../../src/delivery/attempt/deadlines";

const utf8 = (text: string) => new TextEncoder().encode(text).byteLength;

/** A fetch that answers 200 with `bytes`, streamed in the chunks given. */
function answering(bytes: Uint8Array, cuts: number[] = []): typeof fetch {
  return async () => {
    const points = [...new Set([0, ...cuts.map((c) => c % (bytes.length + 1)), bytes.length])].sort(
      (a, b) => a - b,
    );
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 1; i < points.length; i += 1) {
          controller.enqueue(bytes.slice(points[i - 1], points[i]));
        }
        controller.close();
      },
    });
    return new Response(stream, { status: 200 });
  };
}

async function kept(bytes: Uint8Array, cuts: number[] = []): Promise<string> {
  const result = await sendAttempt(
    { url: "https://example.com/h", headers: {}, body: "{}", timeoutMs: 1000 },
    answering(bytes, cuts),
    () => new Date(),
    new Deadlines(),
  );
  return result.responseBody;
}

describe("response bodies are cut at a character boundary within 4 KiB", () => {
  test("examples: a character across the limit is dropped whole", async () => {
    const encode = (text: string) => new TextEncoder().encode(text);
    expect(await kept(encode(`${"a".repeat(4095)}é`))).toBe("a".repeat(4095));
    expect(await kept(encode("€".repeat(1366)))).toBe("€".repeat(1365));
    expect(await kept(encode("😀".repeat(1025)))).toBe("😀".repeat(1024));
    expect(await kept(encode(`${"a".repeat(4092)}😀`))).toBe(`${"a".repeat(4092)}😀`);
    expect(await kept(encode(`${"a".repeat(4093)}😀`))).toBe("a".repeat(4093));
    expect(await kept(encode("short é"))).toBe("short é");
    // Invalid bytes decode to U+FFFD, three bytes each: still within 4 KiB.
    const invalid = await kept(new Uint8Array(5000).fill(0xff));
    expect(utf8(invalid)).toBeLessThanOrEqual(RESPONSE_BODY_LIMIT);
  });

  test("any body, in any chunks: at most 4 KiB of UTF-8, and a prefix of what was sent", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "grapheme", minLength: 1000, maxLength: 2500 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        async (text, cuts) => {
          const body = await kept(new TextEncoder().encode(text), cuts);
          expect(utf8(body)).toBeLessThanOrEqual(RESPONSE_BODY_LIMIT);
          expect(text.startsWith(body)).toBe(true);
          // Nothing is dropped that would have fitted.
          if (body.length < text.length) {
            const next = String.fromCodePoint(text.codePointAt(body.length)!);
            expect(utf8(body) + utf8(next)).toBeGreaterThan(RESPONSE_BODY_LIMIT);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
