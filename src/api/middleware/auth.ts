/** @module Bearer authentication: the admin token (API keys come in a later issue). */
import { createMiddleware } from "hono/factory";
import { timingSafeEqual } from "../../lib/crypto";
import { notConfigured, unauthorized } from "../../lib/errors";
import type { AppEnv } from "../context";

export const ADMIN_PRINCIPAL_ID = "admin-token";

export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const { settings } = c.var.deps;
  if (!settings.adminToken) {
    throw notConfigured("RELAY_ADMIN_TOKEN is not set; the relay refuses API calls until it is.");
  }
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized("Send the token as `Authorization: Bearer <token>`.");
  if (!timingSafeEqual(match[1]!, settings.adminToken))
    throw unauthorized("The token is not valid.");
  c.set("principal", { id: ADMIN_PRINCIPAL_ID, scope: "admin", applicationId: null });
  await next();
});
