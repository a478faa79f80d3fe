/**
 * @module The replay panel of a webhook (SPEC §7.6): choose a window and
 * filters, see how many events match (a dry run) before anything is sent,
 * confirm, then watch the replay's progress until it is done.
 */
import type { Replay } from "../../../clients/typescript/src/client";
import { h, replace } from "../dom";
import { parseEventTypes, parseStatusCodes } from "../form-parsers";
import { formatDateTime, localInputValue } from "../format";
import { card, errorBox, withBusy } from "../ui";
import { poll, type ViewContext } from "./context";

/** What the panel offers: the finished statuses, which are what a replay attempts. */
const STATUSES = ["failed", "success"] as const;

export function replayCard(context: ViewContext, webhookId: string, started: () => void): HTMLElement {
  const since = h("input", {
    type: "datetime-local",
    id: "replay-since",
    value: localInputValue(new Date(Date.now() - 24 * 3_600_000)),
  });
  const until = h("input", { type: "datetime-local", id: "replay-until" });
  const statuses = STATUSES.map((status) =>
    h("input", { type: "checkbox", id: `replay-status-${status}`, value: status, checked: true }),
  );
  const types = h("input", { id: "replay-types", placeholder: "any", autocomplete: "off" });
  const codes = h("input", { id: "replay-codes", placeholder: "any, e.g. 500 502 0" });
  const count = h("button", { type: "submit", class: "btn btn-secondary" }, "Count matching events");
  const result = h("div", { class: "replay-result", "aria-live": "polite" });

  /** The request the inputs describe, or an error to show. */
  const request = () => {
    const from = new Date(since.value);
    if (Number.isNaN(from.getTime())) throw new Error("Pick the time to replay from.");
    const to = until.value ? new Date(until.value) : null;
    const chosen = statuses.filter((box) => box.checked).map((box) => box.value as (typeof STATUSES)[number]);
    if (chosen.length === 0) throw new Error("Choose at least one delivery status.");
    const eventTypes = parseEventTypes(types.value);
    const httpCodes = parseStatusCodes(codes.value);
    return {
      since: from.toISOString(),
      ...(to ? { until: to.toISOString() } : {}),
      delivery_status: chosen,
      ...(eventTypes.length > 0 ? { event_types: eventTypes } : {}),
      ...(httpCodes.length > 0 ? { http_status_codes: httpCodes } : {}),
    };
  };

  // A count answers for the inputs it was made with: any change asks for a new one.
  const form = h(
    "form",
    { class: "recover-form", on: { input: () => result.replaceChildren() } },
    h(
      "div",
      { class: "replay-window" },
      h("div", { class: "field" }, h("label", { for: "replay-since" }, "Created since"), since),
      h("div", { class: "field" }, h("label", { for: "replay-until" }, "Until (optional)"), until),
    ),
    h(
      "fieldset",
      { class: "fieldset replay-statuses" },
      h("legend", {}, "Statuses"),
      statuses.map((box) => h("label", { class: "check", for: box.id }, box, ` ${box.value}`)),
    ),
    h("div", { class: "field" }, h("label", { for: "replay-types" }, "Types"), types),
    h("div", { class: "field" }, h("label", { for: "replay-codes" }, "Last HTTP status"), codes),
    count,
    result,
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.replaceChildren();
    let input: ReturnType<typeof request>;
    try {
      input = request();
    } catch (error) {
      result.appendChild(errorBox(error, "Replay"));
      return;
    }
    try {
      const dry = await withBusy(count, () => context.client.webhooks.countReplay(webhookId, input));
      if (!context.isCurrent()) return;
      if (dry.matched === 0) {
        result.appendChild(h("p", { class: "alert alert-info", id: "replay-matched" }, "No events match."));
        return;
      }
      const confirm = h(
        "button",
        { type: "button", class: "btn btn-primary" },
        `Replay ${dry.matched} ${dry.matched === 1 ? "event" : "events"}`,
      );
      confirm.addEventListener("click", async () => {
        try {
          const replay = await withBusy(confirm, () => context.client.webhooks.replay(webhookId, input));
          showProgress(context, result, replay);
          started();
        } catch (error) {
          result.appendChild(errorBox(error, "Could not start the replay"));
        }
      });
      result.append(
        h(
          "p",
          { class: "alert alert-info", id: "replay-matched" },
          `${dry.matched} ${dry.matched === 1 ? "event matches" : "events match"}: each gets one more attempt. Nothing is sent until you confirm.`,
        ),
        confirm,
      );
    } catch (error) {
      result.appendChild(errorBox(error, "Could not count"));
    }
  });

  return card(
    "Replay",
    [
      h(
        "p",
        { class: "hint" },
        "Send a selection of this webhook's events again, one more attempt each: see how many match before anything is sent.",
      ),
      form,
    ],
    { id: "replay-card" },
  );
}

/** The replay's progress, read every second until it is done. */
function showProgress(context: ViewContext, result: HTMLElement, first: Replay): void {
  const bar = h("progress", { max: Math.max(first.matched, 1), value: first.queued });
  const line = h("p", { id: "replay-progress", "data-status": first.status });
  const render = (replay: Replay) => {
    bar.max = Math.max(replay.matched, replay.queued, 1);
    bar.value = replay.queued;
    line.dataset.status = replay.status;
    line.textContent =
      replay.status === "done"
        ? `Done: ${replay.queued} of ${replay.matched} events handed over for one more attempt (${formatDateTime(replay.updated_at)}).`
        : `Replaying: ${replay.queued} of ${replay.matched} events handed over…`;
  };
  render(first);
  replace(result, h("div", { class: "replay-progress" }, line, bar));
  if (first.status === "done") return;
  poll(context, 1000, async () => {
    const replay = await context.client.replays.get(first.id);
    render(replay);
    return replay.status !== "done";
  });
}
