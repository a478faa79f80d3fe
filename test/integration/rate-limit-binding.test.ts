/** wrangler.toml's [[ratelimits]] block: the binding the per-key limit prefers exists locally too. */
import { env } from "cloudflare:workers";
import { expect, test } from "vitest";
import { chooseRateLimiter } from "../../src/security/rate-limit";

test("API_RATE_LIMITER is bound (simulated locally) and counts per key", async () => {
  const binding = env.API_RATE_LIMITER;
  expect(typeof binding?.limit).toBe("function");
  expect(await binding!.limit({ key: `probe:${crypto.randomUUID()}` })).toEqual({ success: true });
  const limiter = chooseRateLimiter(env, 600);
  expect(await limiter.check(`probe:${crypto.randomUUID()}`)).toEqual({ allowed: true });
});
