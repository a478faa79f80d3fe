/**
 * @module The event types the relay publishes itself, outside the catalog:
 * `TEST_EVENT` (POST /v1/webhooks/{id}/test) and the operational events
 * (SPEC §7.7). They are not the provider's to define: the catalog refuses
 * their names, and RELAY_REQUIRE_EVENT_TYPES lets webhooks subscribe to them.
 * The relay publishes them past the API, so the catalog never judges them.
 */
import type { OperationalEvent } from "../domain/operational-event";

/** Every operational type, checked by the compiler: a new one missing here fails the build. */
const OPERATIONAL: Record<OperationalEvent["type"], true> = {
  "webhook.disabled": true,
  "webhook.failing": true,
  "webhook.recovered": true,
  "event.exhausted": true,
  "storage.near_limit": true,
};

export const RELAY_EVENT_TYPES: ReadonlySet<string> = new Set([
  "TEST_EVENT",
  // The summary of operational events past their per-minute budget
  // (src/delivery/operational-events/operational-budget.ts).
  "operational.suppressed",
  ...Object.keys(OPERATIONAL),
]);
