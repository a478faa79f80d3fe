/**
 * @module One delivery event: its state, every attempt (status code,
 * duration, error, the start of the response) and the payload, with a retry.
 */
import type { Client } from "../connection";
import { h, replace } from "../dom";
import {
  extraError,
  formatDateTime,
  formatDuration,
  formatRelative,
  prettyBody,
  prettyJson,
  shortId,
} from "../format";
import type { Attempt, DeliveryEvent, MessageWithEvents } from "../../../clients/typescript/src/client";
import {
  button,
  card,
  copyButton,
  emptyState,
  errorBox,
  httpBadge,
  spinner,
  statusBadge,
  toast,
  pageHead,
  titleRow,
  withBusy,
} from "../ui";
import { poll, type ViewContext } from "./context";
import { webhookCrumbs } from "./webhook";

const REFRESH_MS = 1500;
/** How long the page waits for a retried event's new attempt to show up. */
const RETRY_WATCH_MS = 60_000;

const inFlight = (event: DeliveryEvent) =>
  event.delivery_status === "pending" || event.delivery_status === "retrying";

/** Every attempt, oldest first (an event has at most a few hundred). */
async function allAttempts(client: Client, eventId: string): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.events.attempts(eventId, { cursor, limit: 100 });
    attempts.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return attempts;
}

export async function renderEvent(
  context: ViewContext,
  webhookId: string,
  eventId: string,
): Promise<void> {
  const { client, main } = context;
  const [webhook, first, firstAttempts] = await Promise.all([
    client.webhooks.get(webhookId),
    client.events.get(eventId, { webhook_id: webhookId }),
    allAttempts(client, eventId),
  ]);
  const crumbs = await webhookCrumbs(context, webhook);
  if (!context.isCurrent()) return;
  context.setCrumbs([...crumbs, { label: `Event ${shortId(eventId)}` }]);

  let event = first;
  let attempts = firstAttempts;
  const header = h("div", { class: "page-head" });
  const summary = h("div");
  const attemptsBody = h("div");
  const payloadBody = h("div", {}, spinner("Loading the payload…"));
  const actionErrors = h("div");

  const renderHeader = () => {
    const retry = button(
      "Retry now",
      async (click) => {
        actionErrors.replaceChildren();
        const target = click.currentTarget as HTMLButtonElement;
        const before = attempts.length;
        try {
          event = await withBusy(target, () => client.events.retry(event.id, { webhook_id: webhookId }));
          toast("Retry queued: one fresh attempt");
          renderAll();
          follow(before + 1);
        } catch (error) {
          actionErrors.replaceChildren(errorBox(error, "Could not retry"));
        }
      },
      "primary",
      inFlight(event) ? { disabled: "", title: "The event is still being delivered" } : {},
    );
    pageHead(
      [
        titleRow(event.type, statusBadge(event.delivery_status)),
        h(
          "p",
          { class: "muted meta-line" },
          h("span", {}, "Event ", h("span", { class: "mono" }, event.id)),
        ),
      ],
      [retry],
      header,
    );
  };

  const renderSummary = () => {
    const next = event.next_attempt_at;
    replace(
      summary,
      h(
        "dl",
        { class: "summary-grid" },
        item("Status", statusBadge(event.delivery_status)),
        item("Attempts", `${event.delivery_attempts} of ${event.max_attempts}`),
        item(
          "Last response",
          event.delivery_attempts > 0 ? httpBadge(event.http_status_code) : "—",
        ),
        item(
          "Next attempt",
          next ? h("span", { title: formatDateTime(next) }, formatRelative(next)) : "None",
        ),
        item("Created", h("span", { title: event.created_at }, formatDateTime(event.created_at))),
        item("Updated", h("span", { title: event.updated_at }, formatDateTime(event.updated_at))),
        extraError(event.error_message, event.http_status_code)
          ? item("Last error", h("span", { class: "error-text" }, event.error_message), "wide")
          : null,
      ),
    );
  };

  const renderAttempts = () => {
    replace(
      attemptsBody,
      attempts.length === 0
        ? emptyState(
            "No attempts yet",
            "The first attempt is on its way; this page refreshes by itself.",
          )
        : h("ol", { class: "attempts", id: "attempts" }, attempts.map(attemptItem)),
    );
  };

  const renderAll = () => {
    renderHeader();
    renderSummary();
    renderAttempts();
  };

  /**
   * Refreshes while the event is on its way, and after a retry until its
   * attempt shows up (the retry's answer may still say `failed`).
   */
  let stopFollowing: (() => void) | null = null;
  const follow = (expectAttempts = 0) => {
    stopFollowing?.();
    const until = Date.now() + RETRY_WATCH_MS;
    stopFollowing = poll(context, REFRESH_MS, async () => {
      const [next, latest] = await Promise.all([
        client.events.get(event.id, { webhook_id: webhookId }),
        allAttempts(client, event.id),
      ]);
      if (!context.isCurrent()) return false;
      const changed = next.updated_at !== event.updated_at || latest.length !== attempts.length;
      event = next;
      attempts = latest;
      if (changed) renderAll();
      return inFlight(event) || (attempts.length < expectAttempts && Date.now() < until);
    });
  };

  renderAll();
  replace(
    main,
    h(
      "div",
      { class: "page" },
      header,
      actionErrors,
      card("Summary", [summary]),
      card("Attempts", [attemptsBody], { id: "attempts-card" }),
      card("Payload", [payloadBody], { id: "payload-card" }),
    ),
  );
  if (inFlight(event)) follow();

  try {
    const message = await client.messages.get(event.message_id);
    if (!context.isCurrent()) return;
    replace(payloadBody, payloadView(message));
  } catch (error) {
    if (context.isCurrent()) replace(payloadBody, errorBox(error, "Could not load the payload"));
  }
}

function item(label: string, value: Node | string, variant?: string): HTMLElement {
  return h(
    "div",
    { class: `summary-item ${variant ?? ""}`.trim() },
    h("dt", {}, label),
    h("dd", {}, value),
  );
}

function attemptItem(attempt: Attempt): HTMLElement {
  const ok = attempt.http_status_code >= 200 && attempt.http_status_code < 300;
  const body = attempt.response_body;
  return h(
    "li",
    {
      class: `attempt ${ok ? "attempt-ok" : "attempt-failed"}`,
      dataset: { attempt: String(attempt.attempt) },
    },
    h(
      "div",
      { class: "attempt-head" },
      h("span", { class: "attempt-number" }, `#${attempt.attempt}`),
      httpBadge(attempt.http_status_code),
      h("span", { class: "muted small", title: "Duration" }, formatDuration(attempt.duration_ms)),
      h(
        "span",
        { class: "muted small attempt-time", title: attempt.started_at },
        formatDateTime(attempt.started_at),
      ),
    ),
    extraError(attempt.error_message, attempt.http_status_code)
      ? h("p", { class: "error-text" }, attempt.error_message)
      : null,
    body
      ? h(
          "details",
          { class: "response", open: !ok },
          h(
            "summary",
            {},
            "Response body",
            body.length >= 4096 ? h("span", { class: "muted small" }, " · first 4 KiB") : null,
          ),
          h("pre", { class: "code-block" }, prettyBody(body)),
        )
      : h(
          "p",
          { class: "muted small" },
          attempt.http_status_code === 0 ? "No response." : "Empty response body.",
        ),
  );
}

function payloadView(message: MessageWithEvents): HTMLElement {
  const json = prettyJson(message.payload);
  const { idempotency_key: key, resource } = message;
  return h(
    "div",
    { class: "payload" },
    h(
      "div",
      { class: "payload-meta" },
      h("span", {}, "Message ", h("span", { class: "mono" }, message.id)),
      key ? h("span", {}, "Idempotency key ", h("code", {}, key)) : null,
      resource
        ? h("span", {}, "Resource ", h("code", {}, `${resource.type}/${resource.id}`))
        : null,
      copyButton(() => json, "Copy JSON"),
    ),
    h("pre", { class: "code-block", id: "payload" }, json),
  );
}
