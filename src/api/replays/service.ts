/** @module Replay logic, free of HTTP: select, count, and start the paging behind the queue. */
import { getReplay, insertReplay } from "../../db/queries/replays";
import { constraintViolated } from "../../db/errors";
import type { ReplayRow, ReplaySelection } from "../../db/schema";
import type { Deps } from "../../deps";
import { conflict, notFound } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { toRfc3339 } from "../../lib/time";
import { type Principal, requireAccess, requireApplication } from "../../security/principal";
import { countSelected, selectedBy } from "../../storage/events";
import { findWebhook, windowOf } from "../webhooks/service";
import { type CreateReplayInput, DEFAULT_REPLAY_STATUSES } from "./schemas";

type StartedReplay =
  | { dryRun: true; webhookId: string; selection: ReplaySelection; matched: number }
  | { dryRun: false; row: ReplayRow };

/**
 * Counts what the selection matches; unless it is a dry run, records the
 * replay and sends its first page task. The dry run and the replay select
 * with the same predicate (`countSelected`, `pageSelected`).
 */
export async function startReplay(
  deps: Deps,
  principal: Principal,
  webhookId: string,
  input: CreateReplayInput,
): Promise<StartedReplay> {
  const webhook = await findWebhook(deps, principal, webhookId, "webhooks");
  if (!webhook.enabled) throw conflict("The webhook is disabled; enable it before replaying.");
  const now = deps.now();
  const selection: ReplaySelection = {
    ...windowOf(input, now),
    deliveryStatuses: [...new Set(input.delivery_status ?? DEFAULT_REPLAY_STATUSES)],
    eventTypes: input.event_types ? [...new Set(input.event_types)] : null,
    httpStatusCodes: input.http_status_codes ? [...new Set(input.http_status_codes)] : null,
  };
  const matched = await countSelected(
    deps.history,
    { webhookId: webhook.id, applicationId: webhook.applicationId },
    selectedBy(selection),
  );
  if (input.dry_run) return { dryRun: true, webhookId: webhook.id, selection, matched };
  const at = toRfc3339(now);
  const row = await insertReplay(deps.db, {
    id: uuidv7(),
    webhookId: webhook.id,
    applicationId: webhook.applicationId,
    selection,
    matched,
    queued: 0,
    cursor: "",
    status: matched > 0 ? "running" : "done",
    createdAt: at,
    updatedAt: at,
  }).catch((error: unknown) => {
    // The webhook was deleted between the check above and the insert.
    if (constraintViolated(error) === "foreign_key") throw notFound("Webhook not found.");
    throw error;
  });
  if (matched > 0) await deps.queue.send({ kind: "replay", replayId: row.id, after: "" });
  return { dryRun: false, row };
}

export async function findReplay(deps: Deps, principal: Principal, id: string): Promise<ReplayRow> {
  requireAccess(principal, "read");
  const row = await getReplay(deps.db, id);
  if (!row) throw notFound("Replay not found.");
  requireApplication(principal, row.applicationId, "Replay");
  return row;
}
