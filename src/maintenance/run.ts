/**
 * @module The relay's periodic maintenance: the retention purge, and after a
 * restart the wake-up that re-sends what a local queue lost (src/maintenance/sweep.ts).
 * The cron trigger runs it every minute (`npm start` calls the scheduled
 * handler the same way, and once at boot as "@restart"); `POST
 * /v1/maintenance` runs it on demand for operators.
 */
import type { Deps } from "../deps";
import { describeError } from "../lib/log";
import { type PurgeResult, purgeHistory } from "./retention";
import { type SweepResult, sweep } from "./sweep";

type MaintenanceResult = SweepResult & { purged: PurgeResult };

/**
 * Runs the sweep and the purge side by side; one failing does not stop the
 * other. `afterRestart` says the local queue has just started empty (see
 * `sweep`). Throws, after logging each failure, if either failed.
 */
export async function runMaintenance(
  deps: Deps,
  options: { afterRestart?: boolean } = {},
): Promise<MaintenanceResult> {
  const results = await Promise.allSettled([sweep(deps, options), purgeHistory(deps)]);
  const [swept, purged] = results;
  if (swept.status === "fulfilled" && purged.status === "fulfilled") {
    deps.log("info", "maintenance", {
      after_restart: options.afterRestart ?? false,
      requeued: swept.value.requeued,
      woken: swept.value.woken,
      purged_events: purged.value.events,
      purged_messages: purged.value.messages,
    });
    return { ...swept.value, purged: purged.value };
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
