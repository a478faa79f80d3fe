import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  bindingRateLimiter,
  chooseRateLimiter,
  memoryRateLimiter,
  noopRateLimiter,
  RATE_LIMIT_BINDING,
} from "../../../src/security/rate-limit";

describe("memoryRateLimiter", () => {
  test("allows `limit` requests per window per key, then says how long to wait", async () => {
    let now = 120_000 + 15_000; // 15 s into a minute
    const limiter = memoryRateLimiter({
      limit: 2,
      periodSeconds: 60,
      now: () => now,
    });
    expect(await limiter.check("a")).toEqual({ allowed: true });
    expect(await limiter.check("a")).toEqual({ allowed: true });
    expect(await limiter.check("a")).toEqual({
      allowed: false,
      retryAfterSeconds: 45,
    });
    // Another key has a budget of its own: one noisy key starves nobody.
    expect(await limiter.check("b")).toEqual({ allowed: true });
    now += 45_000;
    expect(await limiter.check("a")).toEqual({ allowed: true });
  });

  test("never allows more than `limit` in a window, and Retry-After always reaches the next one", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), {
          minLength: 1,
          maxLength: 200,
        }),
        async (limit, steps) => {
          let now = 1_700_000_000_000;
          const limiter = memoryRateLimiter({
            limit,
            periodSeconds: 10,
            now: () => now,
          });
          const allowedPerWindow = new Map<number, number>();
          for (const step of steps) {
            now += step;
            const decision = await limiter.check("k");
            const window = Math.floor(now / 10_000);
            if (decision.allowed) {
              allowedPerWindow.set(window, (allowedPerWindow.get(window) ?? 0) + 1);
            } else {
              expect(decision.retryAfterSeconds).toBeGreaterThanOrEqual(1);
              expect(decision.retryAfterSeconds).toBeLessThanOrEqual(10);
              expect(Math.floor((now + decision.retryAfterSeconds * 1000) / 10_000)).toBe(
                window + 1,
              );
            }
          }
          for (const n of allowedPerWindow.values()) expect(n).toBeLessThanOrEqual(limit);
        },
      ),
    );
  });
});

describe("bindingRateLimiter", () => {
  test("a refusal waits one whole period; an unavailable binding lets requests through", async () => {
    const keys: string[] = [];
    const refusing = {
      limit: async ({ key }: { key: string }) => {
        keys.push(key);
        return { success: false };
      },
    };
    expect(await bindingRateLimiter(refusing, 60).check("api-key:1")).toEqual({
      allowed: false,
      retryAfterSeconds: 60,
    });
    expect(keys).toEqual(["api-key:1"]);

    const errors: unknown[] = [];
    const broken = {
      limit: async () => {
        throw new Error("down");
      },
    };
    expect(await bindingRateLimiter(broken, 60, (e) => errors.push(e)).check("k")).toEqual({
      allowed: true,
    });
    expect(errors).toHaveLength(1);
  });
});

describe("chooseRateLimiter", () => {
  const binding = { limit: async () => ({ success: false }) };

  test("0 switches limits off, even with the binding", async () => {
    expect(chooseRateLimiter({ [RATE_LIMIT_BINDING]: binding }, 0)).toBe(noopRateLimiter);
  });

  test("the binding when declared, else one in-isolate limiter per limit", async () => {
    const withBinding = chooseRateLimiter({ [RATE_LIMIT_BINDING]: binding }, 5);
    expect(await withBinding.check("k")).toMatchObject({ allowed: false });
    const fallback = chooseRateLimiter({}, 5);
    expect(chooseRateLimiter({ [RATE_LIMIT_BINDING]: "not a binding" }, 5)).toBe(fallback);
    expect(chooseRateLimiter({}, 6)).not.toBe(fallback);
  });
});
