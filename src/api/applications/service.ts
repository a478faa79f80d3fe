/** @module Application logic, free of HTTP. */
import type { z } from "@hono/zod-openapi";
import {
  deleteApplication,
  getApplication,
  getApplicationByUid,
  insertApplication,
  listApplications,
  updateApplication,
} from "../../db/queries/applications";
import { constraintViolated } from "../../db/errors";
import type { ApplicationRow } from "../../db/schema";
import type { Deps } from "../../deps";
import { forgetApplication } from "../../ingest/publish";
import { conflict, forbidden, notFound } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { toRfc3339 } from "../../lib/time";
import { type Principal, requireAccess, requireApplication } from "../../security/principal";
import type { createApplicationSchema, updateApplicationSchema } from "./schemas";

/** The application, if the principal may read it (403) and see it (404). */
export async function findApplication(
  deps: Deps,
  principal: Principal,
  id: string,
): Promise<ApplicationRow> {
  // Publisher keys may only publish: not even their own application is theirs to read.
  requireAccess(principal, "read");
  requireApplication(principal, id, "Application");
  const app = await getApplication(deps.db, id);
  if (!app) throw notFound("Application not found.");
  return app;
}

export async function createApplication(
  deps: Deps,
  principal: Principal,
  input: z.infer<typeof createApplicationSchema>,
): Promise<ApplicationRow> {
  requireAccess(principal, "manage");
  if (principal.applicationId)
    throw forbidden("A key confined to one application may not create others.");
  if (input.uid && (await getApplicationByUid(deps.db, input.uid))) throw uidConflict(input.uid);
  const now = toRfc3339(deps.now());
  return uidTakenAsConflict(input.uid, () =>
    insertApplication(deps.db, {
      id: uuidv7(),
      name: input.name,
      uid: input.uid ?? null,
      webhookLimit: input.webhook_limit,
      metadata: input.metadata,
      createdAt: now,
      updatedAt: now,
    }),
  );
}

/**
 * The uid check before a write is for a clear answer; the unique index is the
 * guard. A request that loses the race to the same uid gets the same 409.
 */
async function uidTakenAsConflict<T>(uid: string | null | undefined, write: () => Promise<T>) {
  try {
    return await write();
  } catch (error) {
    if (uid && constraintViolated(error) === "unique") throw uidConflict(uid);
    throw error;
  }
}

function uidConflict(uid: string) {
  return conflict(`An application with uid "${uid}" exists already.`);
}

export async function changeApplication(
  deps: Deps,
  principal: Principal,
  id: string,
  input: z.infer<typeof updateApplicationSchema>,
): Promise<ApplicationRow> {
  requireAccess(principal, "manage");
  const app = await findApplication(deps, principal, id);
  // The operator's fields: a tenant may not raise its own limit, nor probe
  // other tenants' uids through the conflict answer.
  if (principal.applicationId !== null) {
    const fields = (["uid", "webhook_limit"] as const).filter((f) => input[f] !== undefined);
    if (fields.length > 0) {
      throw forbidden(
        `A key confined to one application may not change ${fields.join(" or ")}.`,
      );
    }
  }
  if (input.uid && input.uid !== app.uid && (await getApplicationByUid(deps.db, input.uid))) {
    throw uidConflict(input.uid);
  }
  const updated = await uidTakenAsConflict(input.uid, () =>
    updateApplication(deps.db, id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.uid !== undefined ? { uid: input.uid } : {}),
      ...(input.webhook_limit !== undefined ? { webhookLimit: input.webhook_limit } : {}),
      ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      updatedAt: toRfc3339(deps.now()),
    }),
  );
  if (!updated) throw notFound("Application not found.");
  return updated;
}

export async function removeApplication(deps: Deps, principal: Principal, id: string) {
  requireAccess(principal, "manage");
  await findApplication(deps, principal, id);
  await deleteApplication(deps.db, id);
  forgetApplication(id);
}

export async function pageApplications(
  deps: Deps,
  principal: Principal,
  before: string | undefined,
  limit: number,
) {
  requireAccess(principal, "read");
  return listApplications(deps.db, {
    id: principal.applicationId ?? undefined,
    before,
    limit: limit + 1,
  });
}
