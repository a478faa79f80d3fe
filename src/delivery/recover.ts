/** @module Bulk recovery: re-send a webhook's failed events created in a window. */
import { and, asc, eq, gt, gte, lte } from "drizzle-orm";
import { statusIs } from "../db/queries/events";
import { events } from "../db/schema";
import type { Deps } from "../deps";
import { resend } from "./publish";
import type { RecoverTask } from "./tasks";

const PAGE = 100;

/** The failed events a recover request covers: created in the window. */
export function recoverableFilter(task: Omit<RecoverTask, "kind">) {
  return and(
    eq(events.webhookId, task.webhookId),
    statusIs("failed"),
    gte(events.createdAt, task.since),
    lte(events.createdAt, task.until),
  );
}

export async function recoverWebhook(deps: Deps, task: RecoverTask): Promise<void> {
  let after = "";
  while (true) {
    const page = await deps.db
      .select({ id: events.id })
      .from(events)
      .where(and(recoverableFilter(task), gt(events.id, after)))
      .orderBy(asc(events.id))
      .limit(PAGE);
    if (page.length === 0) return;
    await resend(
      deps,
      task.webhookId,
      page.map((e) => e.id),
    );
    after = page[page.length - 1]!.id;
  }
}
