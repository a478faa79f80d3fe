/**
 * @module A webhook's delivery events: filters (status, type), newest first,
 * cursor pages, and a refresh that follows events still on their way.
 */
import { h, replace } from "../dom";
import { extraError, formatDateTime, formatRelative, shortId } from "../format";
import type { DeliveryEvent, DeliveryStatus, Page, Webhook } from "../../../clients/typescript/src/client";
import { DELIVERY_STATUSES, type EventQuery, hrefFor, navigate } from "../state";
import { button, card, emptyState, errorBox, httpBadge, statusBadge, withBusy } from "../ui";
import type { ViewContext } from "./context";

const PAGE_SIZE = 25;
/** How often the first page is re-read while something on it is still being delivered. */
const BUSY_REFRESH_MS = 1500;
/** …and otherwise, so that new events show up without a click. */
const IDLE_REFRESH_MS = 15_000;

export type EventsPanel = {
  element: HTMLElement;
  /** Back to the first page, read now (after a test, retry or recovery). */
  showNewest(): void;
};

const capitalized = (text: string) => `${text[0]!.toUpperCase()}${text.slice(1)}`;

export function eventsPanel(
  context: ViewContext,
  webhook: Webhook,
  initial: EventQuery,
  changed: () => void,
): EventsPanel {
  const filter: EventQuery = { ...initial };
  /** cursors[i] opens page i; page 0 has none. */
  const cursors: (string | undefined)[] = [undefined];
  let page = 0;
  let shown: DeliveryEvent[] = [];
  let fingerprint = "";
  /** Only the newest read may draw: a slow refresh must not overwrite a new filter. */
  let reads = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  context.onLeave(() => clearTimeout(timer));

  const body = h("div", { class: "events-body" });
  const pager = h("div", { class: "pager" });

  const status = h(
    "select",
    { name: "delivery_status", id: "filter-status", "aria-label": "Delivery status" },
    h("option", { value: "" }, "All statuses"),
    DELIVERY_STATUSES.map((value) =>
      h("option", { value, selected: filter.status === value }, capitalized(value)),
    ),
  );
  const type = h("input", {
    name: "type",
    id: "filter-type",
    type: "search",
    placeholder: "Event type, e.g. charge.success",
    value: filter.type ?? "",
    "aria-label": "Event type",
    autocomplete: "off",
  });
  const apply = h("button", { type: "submit", class: "btn btn-secondary" }, "Filter");
  const filters = h("form", { class: "filters", role: "search" }, status, type, apply);
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    filter.status = (status.value || undefined) as DeliveryStatus | undefined;
    filter.type = type.value.trim() || undefined;
    // Keep the filter in the address (not the history), so a reload keeps it.
    const href = hrefFor({ view: "webhook", webhookId: webhook.id, query: filter });
    history.replaceState(null, "", href);
    reset();
  });
  status.addEventListener("change", () => filters.requestSubmit());

  const refresh = button(
    "Refresh",
    async (event) => {
      await withBusy(event.currentTarget as HTMLButtonElement, () => load());
      changed();
    },
    "ghost",
  );

  /** Reads the current page; a failed background refresh keeps what is shown. */
  async function load(background = false): Promise<void> {
    const read = ++reads;
    let list: Page<DeliveryEvent>;
    try {
      list = await context.client.events.list({
        webhook_id: webhook.id,
        delivery_status: filter.status,
        type: filter.type,
        cursor: cursors[page],
        limit: PAGE_SIZE,
      });
    } catch (error) {
      if (!context.isCurrent() || read !== reads) return;
      if (background) {
        follow();
        return;
      }
      replace(body, errorBox(error, "Could not load the events"));
      replace(pager);
      return;
    }
    if (!context.isCurrent() || read !== reads) return;
    cursors[page + 1] = list.next_cursor ?? undefined;
    cursors.length = page + 2;
    shown = list.data;
    fingerprint = fingerprintOf(shown);
    render(list.next_cursor !== null);
    follow();
  }

  function render(hasOlder: boolean): void {
    const filtered = filter.status !== undefined || filter.type !== undefined;
    if (shown.length === 0) {
      replace(
        body,
        filtered
          ? emptyState(
              "No events match these filters",
              "Try another status or type, or clear the filters.",
              button("Clear filters", clearFilters),
            )
          : emptyState(
              "No deliveries yet",
              "Events appear here when a message is published for this webhook's application, or when you send a test.",
            ),
      );
    } else {
      const headings = ["Status", "Event type", "Response", "Attempts", "Created", "Event"];
      replace(
        body,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "table table-stack events-table", id: "events-table" },
            h("thead", {}, h("tr", {}, headings.map((label) => h("th", {}, label)))),
            h(
              "tbody",
              {},
              shown.map((event) => eventRow(webhook, event)),
            ),
          ),
        ),
      );
    }
    const goTo = (next: number) => () => {
      page = next;
      load();
    };
    replace(
      pager,
      page > 0 || hasOlder
        ? [
            button("← Newer", goTo(page - 1), "secondary", page === 0 ? { disabled: "" } : {}),
            h("span", { class: "muted small" }, `Page ${page + 1}`),
            button("Older →", goTo(page + 1), "secondary", hasOlder ? {} : { disabled: "" }),
          ]
        : null,
    );
  }

  function clearFilters(): void {
    status.value = "";
    type.value = "";
    filters.requestSubmit();
  }

  function reset(): void {
    page = 0;
    cursors.length = 1;
    load();
  }

  /** Re-reads the first page while the person looks at it; faster while events are in flight. */
  function follow(): void {
    clearTimeout(timer);
    if (page !== 0) return;
    const busy = shown.some(
      (e) => e.delivery_status === "pending" || e.delivery_status === "retrying",
    );
    timer = setTimeout(
      async () => {
        if (!context.isCurrent()) return;
        if (document.hidden) {
          follow();
          return;
        }
        const before = fingerprint;
        await load(true);
        if (context.isCurrent() && fingerprint !== before) changed();
      },
      busy ? BUSY_REFRESH_MS : IDLE_REFRESH_MS,
    );
  }

  const element = card("Delivery events", [filters, body, pager], {
    actions: [refresh],
    id: "events-card",
  });
  replace(body, h("p", { class: "muted" }, "Loading events…"));
  load();
  return {
    element,
    showNewest() {
      if (page !== 0) reset();
      else load().then(changed);
    },
  };
}

/** What a refresh compares: which events, in which state. */
function fingerprintOf(events: DeliveryEvent[]): string {
  return events.map((e) => `${e.id}:${e.delivery_status}:${e.delivery_attempts}`).join(",");
}

function eventRow(webhook: Webhook, event: DeliveryEvent): HTMLElement {
  const href = hrefFor({ view: "event", webhookId: webhook.id, eventId: event.id });
  const open = (click: MouseEvent) => {
    // The type cell is a real link; the rest of the row follows it too.
    if ((click.target as HTMLElement).closest("a")) return;
    navigate({ view: "event", webhookId: webhook.id, eventId: event.id });
  };
  const count = `${event.delivery_attempts} of ${event.max_attempts}`;
  const next = event.next_attempt_at;
  const attempts =
    event.delivery_status === "retrying" && next
      ? h(
          "span",
          {},
          count,
          h(
            "span",
            { class: "muted small block", title: formatDateTime(next) },
            `next ${formatRelative(next)}`,
          ),
        )
      : count;
  const error = extraError(event.error_message, event.http_status_code);
  return h(
    "tr",
    {
      class: "clickable",
      dataset: { eventId: event.id, status: event.delivery_status },
      on: { click: open },
    },
    h("td", { class: "c-status", "data-label": "Status" }, statusBadge(event.delivery_status)),
    h(
      "td",
      { class: "c-type", "data-label": "Event type" },
      h("a", { href, class: "strong" }, event.type),
    ),
    h(
      "td",
      { class: "c-response", "data-label": "Response" },
      event.delivery_attempts > 0
        ? httpBadge(event.http_status_code)
        : h("span", { class: "muted" }, "—"),
      error
        ? h("span", { class: "muted small block ellipsis error-line", title: error }, error)
        : null,
    ),
    h("td", { class: "c-attempts", "data-label": "Attempts" }, attempts),
    h(
      "td",
      { class: "c-created", "data-label": "Created", title: formatDateTime(event.created_at) },
      formatRelative(event.created_at),
    ),
    h(
      "td",
      { class: "c-id mono small muted", "data-label": "Event", title: event.id },
      shortId(event.id),
    ),
  );
}
