/**
 * @module Portal link: a URL that opens the dashboard signed in to one
 * application, with a token that reaches that application's webhooks and
 * their history, and expires (SPEC §7.8).
 */
import { z } from "@hono/zod-openapi";
import type { ApiKeyRow } from "../../db/schema";
import { idSchema, timestampSchema } from "../common";
import { listSchema, paginationQuery } from "../pagination";

export const PORTAL_SCOPES = ["admin", "reader"] as const;
export const DEFAULT_TTL_SECONDS = 3600;

// Defaults are applied by the service: a request with no body skips validation.

export const createPortalLinkSchema = z
  .object({
    ttl_seconds: z.number().int().min(60).max(86_400).optional().openapi({
      description: "How long the link works, in seconds (60 to 86400).",
      default: DEFAULT_TTL_SECONDS,
      example: 3600,
    }),
    scope: z.enum(PORTAL_SCOPES).optional().openapi({
      default: "admin",
      description:
        "admin: manage the application's webhooks (create, edit, enable, disable, delete, rotate, test, recover, replay); reader: look only. Neither reaches API keys, portal links, the application record, publishing or client certificates.",
    }),
  })
  .strict()
  .openapi("CreatePortalLink");

export const portalLinkSchema = z
  .object({
    object: z.literal("portal_link"),
    id: idSchema,
    application_id: idSchema,
    scope: z.enum(PORTAL_SCOPES),
    url: z.string().openapi({
      description:
        "The dashboard, with the token in the fragment (`#token=…`): shown only in this answer. The token is also a Bearer token for the API within the application and scope.",
      example: "https://relay.example.com/#token=hr_3q2-7wLqHkq8vXh2mD1c5s9aZyJfE0uTn4oPbRgKxWc",
    }),
    expires_at: timestampSchema,
    created_at: timestampSchema,
  })
  .openapi("PortalLink");

/** A live link as listed: never its token. */
export const listedPortalLinkSchema = portalLinkSchema
  .omit({ url: true })
  .openapi("ListedPortalLink");

export const portalLinkListSchema = listSchema(listedPortalLinkSchema, "PortalLinkList");

export const listPortalLinksQuery = z.object(paginationQuery);

export type CreatePortalLinkInput = z.infer<typeof createPortalLinkSchema>;
export type PortalLink = z.infer<typeof portalLinkSchema>;
export type ListedPortalLink = z.infer<typeof listedPortalLinkSchema>;
export type PortalLinkList = z.infer<typeof portalLinkListSchema>;

/** A link as listed: what it reaches and until when, without the token. */
export function toListedPortalLink(row: ApiKeyRow): ListedPortalLink {
  return {
    object: "portal_link",
    id: row.id,
    application_id: row.applicationId!,
    scope: row.scope as PortalLink["scope"],
    expires_at: row.expiresAt!,
    created_at: row.createdAt,
  };
}

/** The answer to a create: the only time the token (in `url`) is shown. */
export function toPortalLinkObject(row: ApiKeyRow, url: string): PortalLink {
  return { ...toListedPortalLink(row), url };
}
