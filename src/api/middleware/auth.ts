/**
 * @module Who is calling: `Authorization: Bearer <admin token or API key>` and
 * the client address Cloudflare puts in `CF-Connecting-IP` -> the Principal
 * (401/403/503); then the per-key rate limit (429 with Retry-After).
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { tooManyRequests } from "../../lib/errors";
import { describeError } from "../../lib/log";
import { bearerToken, resolvePrincipal } from "../../security/auth";
import { chooseRateLimiter } from "../../security/rate-limit";
import type { AppEnv } from "../context";

/** Set by Cloudflare's edge on every request it proxies; see SECURITY.md before trusting it elsewhere. */
const CLIENT_ADDRESS_HEADER = "cf-connecting-ip";

export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const { principal, background } = await resolvePrincipal(
    c.get("deps"),
    bearerToken(c.req.header("authorization")),
    c.req.header(CLIENT_ADDRESS_HEADER)?.trim() || null,
  );
  if (background) await runAfterResponse(c, background);
  c.set("principal", principal);
  await next();
});

/**
 * One counter per API key. The admin token is the operator's own credential
 * and is not counted here: restrict it with RELAY_ADMIN_ALLOWED_IPS, and put a
 * WAF rate limiting rule in front of the Worker for unauthenticated floods.
 */
export const limitRate = createMiddleware<AppEnv>(async (c, next) => {
  const principal = c.get("principal");
  if (principal.kind === "admin_token") return next();
  const { settings, log } = c.get("deps");
  const limiter = chooseRateLimiter(c.env, settings.rateLimitPerMinute, (error) =>
    log("warn", "rate limiter unavailable; request let through", {
      request_id: c.get("requestId"),
      ...describeError(error),
    }),
  );
  const decision = await limiter.check(`api-key:${principal.id}`);
  if (!decision.allowed) {
    throw tooManyRequests(
      `This API key is over its limit of requests per minute; retry after ${decision.retryAfterSeconds} seconds.`,
      decision.retryAfterSeconds,
    );
  }
  await next();
});

/** `waitUntil` where the runtime offers it (Workers); plain awaiting elsewhere (`app.request` in tests). */
function runAfterResponse(c: Context<AppEnv>, work: Promise<void>): Promise<void> | undefined {
  try {
    c.executionCtx.waitUntil(work);
    return undefined;
  } catch {
    return work;
  }
}
