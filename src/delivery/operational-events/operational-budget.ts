/**
 * @module The bound on operational events (SPEC §7.7) per source application:
 * a customer with a portal link can toggle webhooks and send failing tests,
 * and must not be able to flood the operations application with that. Of an
 * application's events of one minute (the minute its transition happened),
 * the first `RELAY_OPERATIONAL_EVENTS_PER_MINUTE` are published; the rest are
 * counted, and once the minute is over one `operational.suppressed` event
 * says how many of each type were held back. The places are kept in D1
 * (`operational_tally`), the one store every webhook's object shares.
 *
 * The event placed just after the bound carries the summary: its object
 * keeps it, as it keeps any event not yet published, and tries again until
 * the minute is over; then the summary is published in its stead, under a
 * key of its own, so that publishing it twice delivers it once.
 */
import { countPlacedAfter, placeInTally } from "../../db/queries/operational-tally";
import type { Deps } from "../../deps";
import type { NewMessage } from "../../domain/message";
import type { OperationalEvent } from "../../domain/operational-event";
import { toRfc3339 } from "../../lib/time";

export const MINUTE_MS = 60_000;

/** The start of the minute `timestamp` falls in, as stored. */
export function minuteOf(timestamp: string): string {
  const ms = Date.parse(timestamp);
  return toRfc3339(ms - (((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS));
}

/** What becomes of an event: published as it is, in a summary's stead, or only counted. */
export type Budgeted =
  | { key: string; message: NewMessage }
  /** Counted, and nothing to publish: settled. */
  | { key: string; message: null }
  /** Carries its minute's summary, which cannot be sent before the minute is over: try again later. */
  | { key: string; message: "later" };

/** The operational event as the message the operations application receives. */
export function newMessageOf(
  opsId: string,
  event: { type: string; timestamp: string; data: Record<string, unknown> },
  key: string,
): NewMessage {
  return {
    applicationId: opsId,
    eventType: event.type,
    payload: JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data }),
    idempotencyKey: key,
    resource: null,
  };
}

/** Places `events` in their applications' minutes and says what becomes of each. */
export async function budget(
  deps: Deps,
  opsId: string,
  events: OperationalEvent[],
): Promise<Budgeted[]> {
  const cap = deps.settings.operationalEventsPerMinute;
  const unique = [...new Map(events.map((e) => [e.key, e])).values()];
  const places = await placeInTally(
    deps.db,
    unique.map((e) => ({
      key: e.key,
      applicationId: e.applicationId,
      windowStart: minuteOf(e.timestamp),
      type: e.type,
    })),
  );
  const now = deps.now().getTime();
  return Promise.all(
    unique.map(async (e): Promise<Budgeted> => {
      const place = places.get(e.key) ?? Number.POSITIVE_INFINITY;
      if (place <= cap) return { key: e.key, message: newMessageOf(opsId, e, e.key) };
      if (place > cap + 1) return { key: e.key, message: null };
      const since = minuteOf(e.timestamp);
      const until = Date.parse(since) + MINUTE_MS;
      if (now < until) return { key: e.key, message: "later" };
      const types = await countPlacedAfter(deps.db, e.applicationId, since, cap);
      const summary = {
        type: "operational.suppressed",
        timestamp: toRfc3339(until),
        data: {
          application_id: e.applicationId,
          since,
          until: toRfc3339(until),
          suppressed: Object.values(types).reduce((a, b) => a + b, 0),
          types,
        },
      };
      const key = `hookrelay:operational.suppressed:${e.applicationId}:${since}`;
      return { key: e.key, message: newMessageOf(opsId, summary, key) };
    }),
  );
}
