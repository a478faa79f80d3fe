/** @module The Hono environment: bindings, and what middleware puts on the context. */
import type { Deps } from "../deps";
import type { Env } from "../env";
import type { Principal } from "../security/principal";

export type AppEnv = {
  Bindings: Env;
  Variables: {
    deps: Deps;
    principal: Principal;
    requestId: string;
    /** The request body's text as received (after the BOM and outer whitespace): JSON bodies only. */
    rawBody?: string;
  };
};
