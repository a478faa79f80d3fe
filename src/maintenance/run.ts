/**
 * @module The relay's periodic maintenance: the history's upkeep (retention,
 * then archiving what left the hot window, then `storage.near_limit`), and
 * after a restart the wake-up that re-sends what a local queue lost
 * (src/maintenance/sweep.ts). The cron trigger runs it every minute (`npm
 * start` calls the scheduled handler the same way, and once at boot as
 * "@restart"); `POST /v1/maintenance` runs it on demand for operators.
 */
import type { Deps } from "../deps";
import { describeError } from "../lib/log";
import { archiveDue } from "../storage/upkeep";
import { type PurgeResult, purgeHistory } from "./retention";
import { alertNearLimits } from "./storage-alerts";
import { type SweepResult, sweep } from "./sweep";

type MaintenanceResult = SweepResult & { purged: PurgeResult; archived: number };

/**
 * How long one run archives (it stops starting pages after this): a slot
 * bigger than that goes over as many runs as it takes (src/storage/archive.ts).
 */
const ARCHIVE_BUDGET_MS = 20_000;

/** Purges, then archives (so a slot past retention is dropped, not archived first), then tells of full shards. */
async function historyUpkeep(deps: Deps): Promise<{ purged: PurgeResult; archived: number }> {
  const purged = await purgeHistory(deps);
  const archived = await archiveDue(deps.history, deps.now().getTime(), Date.now() + ARCHIVE_BUDGET_MS);
  await alertNearLimits(deps);
  return { purged, archived };
}

/**
 * Runs the sweep and the history's upkeep side by side; one failing does
 * not stop the other. `afterRestart` says the local queue has just started
 * empty (see `sweep`). Throws, after logging each failure, if either failed.
 */
export async function runMaintenance(
  deps: Deps,
  options: { afterRestart?: boolean } = {},
): Promise<MaintenanceResult> {
  const results = await Promise.allSettled([sweep(deps, options), historyUpkeep(deps)]);
  const [swept, upkept] = results;
  if (swept.status === "fulfilled" && upkept.status === "fulfilled") {
    deps.log("info", "maintenance", {
      after_restart: options.afterRestart ?? false,
      requeued: swept.value.requeued,
      woken: swept.value.woken,
      purged_events: upkept.value.purged.events,
      purged_messages: upkept.value.purged.messages,
      archived_partitions: upkept.value.archived,
    });
    return { ...swept.value, ...upkept.value };
  }
  const reasons = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
  for (const reason of reasons) {
    deps.log("error", "maintenance task failed", {
      request_id: deps.requestId,
      ...describeError(reason),
    });
  }
  throw new AggregateError(reasons, "maintenance failed");
}
