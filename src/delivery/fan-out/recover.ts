/** @module Bulk recovery: re-send a webhook's failed events created in a window. */
import { failedIn, pageSelected } from "../../db/queries/events";
import type { Deps } from "../../deps";
import type { RecoverTask } from "../../domain/tasks";
import { resend } from "./resend";

const PAGE = 100;

export async function recoverWebhook(deps: Deps, task: RecoverTask): Promise<void> {
  let after = "";
  while (true) {
    const page = await pageSelected(deps.db, failedIn(task), after, PAGE);
    if (page.length === 0) return;
    await resend(deps, task.webhookId, page);
    after = page[page.length - 1]!.id;
  }
}
