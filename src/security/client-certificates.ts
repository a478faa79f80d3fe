/**
 * @module Two-way TLS: the Worker's `[[mtls_certificates]]` bindings that
 * webhooks may name. An mTLS binding looks like any other Fetcher in `env`
 * (as do service bindings and the static assets), so the operator lists the
 * certificate bindings in RELAY_MTLS_CERTIFICATES; a listed name counts only
 * if the Worker really has a binding of that name with a `fetch`.
 */
import type { Env } from "../env";

export type ClientCertificates = ReadonlyMap<string, Fetcher>;

export function boundCertificates(env: Env, names: string[]): ClientCertificates {
  const bound = new Map<string, Fetcher>();
  for (const name of names) {
    const binding = (env as Record<string, unknown>)[name];
    if (
      typeof binding === "object" &&
      binding !== null &&
      typeof (binding as { fetch?: unknown }).fetch === "function"
    ) {
      bound.set(name, binding as Fetcher);
    }
  }
  return bound;
}
