/**
 * @module The relay's periodic maintenance: the sweep (nothing accepted stays
 * stranded) and the retention purge. The cron trigger runs it every minute;
 * `POST /v1/maintenance` runs it on demand, which is how `npm start` drives it,
 * because `wrangler dev` runs no cron and cannot trigger one on a Worker with
 * static assets.
 */
import { type SweepResult, sweep } from "./delivery/sweep";
import type { Deps } from "./deps";
import { describeError } from "./lib/log";
import { type PurgeResult, purgeHistory } from "./retention";

export type MaintenanceResult = SweepResult & { purged: PurgeResult };

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
