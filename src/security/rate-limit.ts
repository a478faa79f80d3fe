/**
 * @module Per-key request rate limits, so that one noisy sender cannot starve
 * the rest. Three twins behind one interface: Cloudflare's Workers Rate
 * Limiting binding (counted at the edge, per Cloudflare location), an
 * in-isolate fixed window for when the binding is absent (`npm start`, tests,
 * a deployment without it), and a no-op when limits are switched off.
 */

type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface RateLimiter {
  /** Counts one request for `key` and says whether it is within the limit. */
  check(key: string): Promise<RateDecision>;
}

/** The binding's name in wrangler.toml (`[[ratelimits]] name = "API_RATE_LIMITER"`). */
export const RATE_LIMIT_BINDING = "API_RATE_LIMITER";

/** Cloudflare accepts periods of 10 or 60 seconds; the relay's limits are per minute. */
const RATE_LIMIT_PERIOD_SECONDS = 60;

export const noopRateLimiter: RateLimiter = {
  check: async () => ({ allowed: true }),
};

/**
 * Cloudflare's binding answers only yes or no. Its windows are not published,
 * so a refusal asks the caller to wait one whole period, after which a new
 * window has certainly begun. If the binding fails, the request goes through:
 * this is abuse control, not authentication, and an outage of the counter must
 * not become an outage of the API.
 */
export function bindingRateLimiter(
  binding: RateLimit,
  periodSeconds: number = RATE_LIMIT_PERIOD_SECONDS,
  onError: (error: unknown) => void = () => {},
): RateLimiter {
  return {
    async check(key) {
      try {
        const { success } = await binding.limit({ key });
        return success ? { allowed: true } : { allowed: false, retryAfterSeconds: periodSeconds };
      } catch (error) {
        onError(error);
        return { allowed: true };
      }
    },
  };
}

type Window = { start: number; count: number };

/** Above this many tracked keys, finished windows are dropped before adding one. */
const MAX_TRACKED_KEYS = 10_000;

/**
 * A fixed window per key, in this isolate's memory. Exact on one machine
 * (`npm start`); on Cloudflare each isolate counts alone, so it is a floor of
 * protection, not a global limit: configure the binding there.
 *
 * @example
 * const limiter = memoryRateLimiter({ limit: 2, periodSeconds: 60, now: () => 0 });
 * await limiter.check("k"); await limiter.check("k");
 * await limiter.check("k"); // { allowed: false, retryAfterSeconds: 60 }
 */
export function memoryRateLimiter(options: {
  limit: number;
  periodSeconds?: number;
  now?: () => number;
}): RateLimiter {
  const periodMs = (options.periodSeconds ?? RATE_LIMIT_PERIOD_SECONDS) * 1000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();
  return {
    async check(key) {
      const at = now();
      const start = at - (at % periodMs);
      let window = windows.get(key);
      if (!window || window.start !== start) {
        if (!window && windows.size >= MAX_TRACKED_KEYS) prune(windows, start);
        window = { start, count: 0 };
        windows.set(key, window);
      }
      if (window.count >= options.limit) {
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((start + periodMs - at) / 1000)),
        };
      }
      window.count += 1;
      return { allowed: true };
    },
  };
}

function prune(windows: Map<string, Window>, current: number) {
  for (const [key, window] of windows) if (window.start !== current) windows.delete(key);
  // Still full of live keys: forget the oldest rather than grow without bound.
  if (windows.size >= MAX_TRACKED_KEYS) {
    const oldest = windows.keys().next().value;
    if (oldest !== undefined) windows.delete(oldest);
  }
}

function isRateLimitBinding(value: unknown): value is RateLimit {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { limit?: unknown }).limit === "function"
  );
}

/** Fallback limiters live as long as the isolate, one per configured limit. */
const fallbacks = new Map<number, RateLimiter>();

/**
 * The limiter for this invocation: none when `perMinute` is 0, the binding
 * when wrangler.toml declares it, else the in-isolate fallback.
 */
export function chooseRateLimiter(
  bindings: object,
  perMinute: number,
  onError?: (error: unknown) => void,
): RateLimiter {
  if (perMinute <= 0) return noopRateLimiter;
  const binding: unknown = Reflect.get(bindings, RATE_LIMIT_BINDING);
  if (isRateLimitBinding(binding)) {
    return bindingRateLimiter(binding, RATE_LIMIT_PERIOD_SECONDS, onError);
  }
  let fallback = fallbacks.get(perMinute);
  if (!fallback) {
    fallback = memoryRateLimiter({ limit: perMinute });
    fallbacks.set(perMinute, fallback);
  }
  return fallback;
}
