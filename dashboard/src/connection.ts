/**
 * @module The dashboard's connection to the relay: the typed client
 * (clients/typescript) for one token, on this origin. The token travels as
 * `Authorization: Bearer` only, never in a URL, no cookie is sent and no
 * answer is cached; any 401 ends the session wherever the call was made.
 */
import { HookrelayClient } from "../../clients/typescript/src/client";
import { HookrelayError } from "../../clients/typescript/src/errors";

export type Client = HookrelayClient;

/** A client for `token`; `onUnauthorized` runs on any 401, before the call throws it. */
export function connect(token: string, onUnauthorized: (error: HookrelayError) => void = () => {}): Client {
  return new HookrelayClient({
    baseUrl: location.origin,
    token,
    fetch: async (request) => {
      const response = await fetch(request, { cache: "no-store", credentials: "omit" });
      if (response.status === 401) {
        const body: unknown = await response.clone().json().catch(() => undefined);
        onUnauthorized(new HookrelayError(response, body));
      }
      return response;
    },
  });
}
