/**
 * @module A replay behind the queue (SPEC §7.6): one page of events per task,
 * so a replay of any size stays within one invocation's CPU time and
 * subrequests (about a dozen per page: the replay and webhook rows, the page,
 * its messages, the hand-over RPCs, the next task and the progress).
 */
import { advanceReplay, getReplay } from "../../db/queries/replays";
import { getWebhook } from "../../db/queries/webhooks";
import type { Deps } from "../../deps";
import type { ReplayTask } from "../../domain/tasks";
import { toRfc3339 } from "../../lib/time";
import { pageSelected, selectedBy } from "../../storage/events";
import { resend } from "./resend";

/** Events handed to the webhook's object per task. */
export const REPLAY_PAGE = 500;

/**
 * Hands over the page after `task.after` and sends the task for the next.
 * The next task goes before the progress is written, so a crash between
 * the two repeats a page (the object skips what it holds already) rather
 * than stopping the replay. Returns false when the task came before the
 * progress of the page before it: it is to be tried again shortly.
 */
export async function replayPage(deps: Deps, task: ReplayTask, page = REPLAY_PAGE): Promise<boolean> {
  const replay = await getReplay(deps.db, task.replayId);
  // Gone (its application was deleted), finished, or this page was handed over already.
  if (!replay || replay.status === "done" || replay.cursor > task.after) return true;
  if (replay.cursor < task.after) return false;
  const at = toRfc3339(deps.now());
  const webhook = await getWebhook(deps.db, replay.webhookId);
  // Deleted or disabled meanwhile: the rest is not replayed (recover it later).
  if (!webhook || !webhook.enabled) {
    await advanceReplay(deps.db, replay.id, task.after, { cursor: task.after, handed: 0, done: true, at });
    return true;
  }
  const events = await pageSelected(
    deps.history,
    { webhookId: webhook.id, applicationId: webhook.applicationId },
    selectedBy(replay.selection),
    task.after,
    page,
  );
  if (events.length > 0) await resend(deps, webhook, events);
  const cursor = events.at(-1)?.id ?? task.after;
  const more = events.length === page;
  if (more) await deps.queue.send({ kind: "replay", replayId: replay.id, after: cursor });
  await advanceReplay(deps.db, replay.id, task.after, {
    cursor,
    handed: events.length,
    done: !more,
    at,
  });
  return true;
}
