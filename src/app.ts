/**
 * @module The Hono app: middleware in order, every resource's routes, the
 * OpenAPI 3.1 document and the page that renders it.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { registerApiKeyRoutes } from "./api/api-keys/routes";
import { registerApplicationRoutes } from "./api/applications/routes";
import type { AppEnv } from "./api/context";
import { DOCS_HTML } from "./api/docs";
import { registerEventRoutes } from "./api/events/routes";
import { registerEventTypeRoutes } from "./api/event-types/routes";
import { registerHealthRoutes } from "./api/health/routes";
import { registerMessageRoutes } from "./api/messages/routes";
import { authenticate, limitRate } from "./api/middleware/auth";
import { jsonBody } from "./api/middleware/body";
import { handleError, handleNotFound, problemResponse, zodProblem } from "./api/problem";
import { registerMaintenanceRoutes } from "./api/operations/maintenance";
import { registerPortalLinkRoutes } from "./api/portal-links/routes";
import { registerReplayRoutes } from "./api/replays/routes";
import { registerStorageRoutes } from "./api/operations/storage";
import { registerUsageRoutes } from "./api/operations/usage";
import { registerWebhookRoutes } from "./api/webhooks/routes";
import { type Deps, makeDeps } from "./deps";
import { uuidv7 } from "./lib/ids";
import { usage } from "./lib/usage";
import { VERSION } from "./version";

/** Builds the app; `depsFor` lets tests swap collaborators per request. */
export function createApp(
  depsFor: (env: AppEnv["Bindings"], requestId: string) => Deps = makeDeps,
) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) return problemResponse(zodProblem(result.error, result.target));
    },
  });

  app.onError(handleError);
  app.notFound(handleNotFound);

  app.use("*", async (c, next) => {
    const requestId = uuidv7();
    const deps = { ...depsFor(c.env, requestId), requestId };
    c.set("requestId", requestId);
    c.set("deps", deps);
    const started = Date.now();
    usage.workerRequests += 1;
    await next();
    c.header("x-request-id", requestId);
    // Path only: query strings may carry cursors, and headers carry tokens.
    deps.log("info", "request", {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Date.now() - started,
    });
  });

  registerHealthRoutes(app);
  app.use("/v1/*", authenticate, limitRate, jsonBody);
  registerApiKeyRoutes(app);
  registerApplicationRoutes(app);
  registerPortalLinkRoutes(app);
  registerWebhookRoutes(app);
  registerMessageRoutes(app);
  registerEventRoutes(app);
  registerEventTypeRoutes(app);
  registerReplayRoutes(app);
  registerUsageRoutes(app);
  registerStorageRoutes(app);
  registerMaintenanceRoutes(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "RELAY_ADMIN_TOKEN, an API key, or a portal link's token",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "hookrelay",
      version: VERSION,
      description:
        "Edge-native webhook delivery: publish events, hookrelay signs and delivers them.",
    },
  });
  app.get("/docs", (c) => c.html(DOCS_HTML));

  return app;
}
