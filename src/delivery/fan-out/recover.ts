/** @module Bulk recovery: re-send a webhook's failed events created in a window. */
import { getWebhook } from "../../db/queries/webhooks";
import type { Deps } from "../../deps";
import type { RecoverTask } from "../../domain/tasks";
import { failedIn, pageSelected } from "../../storage/events";
import { resend } from "./resend";

const PAGE = 100;

export async function recoverWebhook(deps: Deps, task: RecoverTask): Promise<void> {
  const webhook = await getWebhook(deps.db, task.webhookId);
  // Deleted since: nothing to recover.
  if (!webhook) return;
  const scope = { webhookId: webhook.id, applicationId: webhook.applicationId };
  let after = "";
  while (true) {
    const page = await pageSelected(deps.history, scope, failedIn(task), after, PAGE);
    if (page.length === 0) return;
    await resend(deps, webhook, page);
    after = page[page.length - 1]!.id;
  }
}
