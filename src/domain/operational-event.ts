/**
 * @module An operational event (SPEC §7.7, §8.1): what the relay tells the
 * operations application about a webhook's troubles, made by its webhook's
 * object (src/delivery/operational-events/operations.ts), or about its
 * storage, by the cron (src/maintenance/storage-alerts.ts), and published as
 * an ordinary message. The event catalog reserves its types
 * (src/catalog/relay-types.ts).
 */

export type OperationalEvent = {
  /** The idempotency key it is published under; the same for the same transition. */
  key: string;
  type: "webhook.disabled" | "webhook.failing" | "webhook.recovered" | "event.exhausted" | "storage.near_limit";
  /** RFC 3339: when the transition happened. */
  timestamp: string;
  /** The application it is about: nothing is published about the operations application's own. */
  applicationId: string;
  data: Record<string, unknown>;
};
