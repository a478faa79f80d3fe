/**
 * @module Portal link: a URL that opens the dashboard signed in to one
 * application, with a key confined to it that expires (SPEC §7.8).
 */
import { z } from "@hono/zod-openapi";
import type { ApiKeyRow } from "../../db/schema";
import { idSchema, timestampSchema } from "../common";

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
      description: "admin: manage the application's webhooks; reader: look only.",
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

export type CreatePortalLinkInput = z.infer<typeof createPortalLinkSchema>;
export type PortalLink = z.infer<typeof portalLinkSchema>;

/** The answer to a create: the only time the token (in `url`) is shown. */
export function toPortalLinkObject(row: ApiKeyRow, url: string): PortalLink {
  return {
    object: "portal_link",
    id: row.id,
    application_id: row.applicationId!,
    scope: row.scope as PortalLink["scope"],
    url,
    expires_at: row.expiresAt!,
    created_at: row.createdAt,
  };
}
