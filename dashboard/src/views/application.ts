/**
 * @module One application: its webhooks, each with its health at a glance
 * (enabled, 24-hour success rate, last delivery), creating a webhook, and,
 * for whoever may make them, the portal links that still work, to revoke.
 */
import { HookrelayError } from "../../../clients/typescript/src/errors";
import { h, replace } from "../dom";
import {
  formatDateTime,
  formatPercent,
  formatRelative,
  rateTone,
  webhookTitle,
} from "../format";
import { hrefFor, names, readPortal } from "../state";
import type { Application, ListedPortalLink, Webhook } from "../../../clients/typescript/src/client";
import {
  button,
  card,
  confirmThen,
  emptyState,
  enabledBadge,
  errorBox,
  httpBadge,
  pageHead,
  statusBadge,
  toast,
} from "../ui";
import type { ViewContext } from "./context";
import { openWebhookForm } from "./webhook-form";

export async function renderApplication(
  context: ViewContext,
  applicationId: string,
): Promise<void> {
  const { client, main } = context;
  const [app, first] = await Promise.all([
    client.applications.get(applicationId),
    client.webhooks.list({ application_id: applicationId, limit: 100 }),
  ]);
  if (!context.isCurrent()) return;
  names.set(app.id, app.name);
  context.setCrumbs([{ label: "Applications", href: "#/" }, { label: app.name }]);

  const webhooks = [...first.data];
  let cursor = first.next_cursor;
  // An application holds at most webhook_limit webhooks (10 by default): read them all.
  while (cursor) {
    const page = await client.webhooks.list({ application_id: applicationId, cursor, limit: 100 });
    webhooks.push(...page.data);
    cursor = page.next_cursor;
  }
  if (!context.isCurrent()) return;

  const openForm = () => openWebhookForm(context, { application: app });
  const full = webhooks.length >= app.webhook_limit;
  const create = button(
    "New webhook",
    openForm,
    "primary",
    full ? { disabled: "", title: "The application has reached its webhook limit." } : {},
  );
  const list =
    webhooks.length === 0
      ? emptyState(
          "No webhooks yet",
          "Add the URL where this application should receive events. You can send it a test right away.",
          button("Add a webhook", openForm, "primary"),
        )
      : h(
          "ul",
          { class: "webhook-grid", id: "webhook-list" },
          webhooks.map((webhook) => webhookCard(context, webhook)),
        );

  const links = h("div", { id: "portal-links-slot" });
  replace(
    main,
    h(
      "div",
      { class: "page" },
      pageHead([h("h1", {}, app.name), applicationMeta(app)], [create]),
      card(`Webhooks (${webhooks.length} of ${app.webhook_limit})`, [list]),
      links,
    ),
  );
  // A portal session never sees its application's links; a key that may not list them sees nothing.
  if (!readPortal()) void loadPortalLinks(context, app.id, links);
}

/** The live portal links, each with a revoke button; nothing for a key that may not list them. */
async function loadPortalLinks(
  context: ViewContext,
  applicationId: string,
  slot: HTMLElement,
): Promise<void> {
  const live: ListedPortalLink[] = [];
  try {
    for await (const link of context.client.portalLinks.iterate(applicationId, { limit: 100 })) live.push(link);
  } catch (error) {
    if (!context.isCurrent() || (error instanceof HookrelayError && error.status === 403)) return;
    replace(slot, errorBox(error, "Could not load the portal links"));
    return;
  }
  if (!context.isCurrent()) return;
  const render = () => {
    const body =
      live.length === 0
        ? emptyState(
            "No live portal links",
            "POST /v1/applications/{id}/portal-links makes one: a page where this customer manages its own webhooks.",
          )
        : h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { class: "table table-stack", id: "portal-links-table" },
              h(
                "thead",
                {},
                h("tr", {}, ["Link", "Scope", "Expires", "Created", ""].map((label) => h("th", {}, label))),
              ),
              h("tbody", {}, live.map((link) => portalLinkRow(link, revoke))),
            ),
          );
    replace(slot, card(`Portal links (${live.length} live)`, [body]));
  };
  const revoke = async (link: ListedPortalLink, revokeButton: HTMLButtonElement) => {
    const revoked = await confirmThen(
      revokeButton,
      {
        title: "Revoke this portal link?",
        message: "Whoever holds it is refused from their next request on. This cannot be undone.",
        confirmLabel: "Revoke link",
        danger: true,
      },
      () => context.client.portalLinks.revoke(link.id),
      "Could not revoke the link",
    );
    if (!revoked) return;
    live.splice(live.indexOf(link), 1);
    toast("Portal link revoked");
    if (context.isCurrent()) render();
  };
  render();
}

function portalLinkRow(
  link: ListedPortalLink,
  revoke: (link: ListedPortalLink, button: HTMLButtonElement) => void,
): HTMLElement {
  const revokeButton: HTMLButtonElement = button("Revoke", () => revoke(link, revokeButton), "danger");
  revokeButton.classList.add("btn-small");
  return h(
    "tr",
    { dataset: { portalLinkId: link.id } },
    h("td", { "data-label": "Link", class: "mono small" }, link.id),
    h("td", { "data-label": "Scope" }, h("span", { class: "chip" }, link.scope)),
    h(
      "td",
      { "data-label": "Expires", title: formatDateTime(link.expires_at) },
      formatRelative(link.expires_at),
    ),
    h(
      "td",
      { "data-label": "Created", title: formatDateTime(link.created_at) },
      formatRelative(link.created_at),
    ),
    h("td", {}, revokeButton),
  );
}

function applicationMeta(app: Application): HTMLElement {
  return h(
    "p",
    { class: "muted meta-line" },
    app.uid ? h("span", {}, "UID ", h("code", {}, app.uid)) : null,
    h("span", { class: "mono" }, app.id),
    h(
      "span",
      { title: formatDateTime(app.created_at) },
      `created ${formatRelative(app.created_at)}`,
    ),
  );
}

function webhookCard(context: ViewContext, webhook: Webhook): HTMLElement {
  const href = hrefFor({ view: "webhook", webhookId: webhook.id, query: {} });
  const rate = h("dd", {}, "…");
  const last = h("dd", {}, "…");
  const item = h(
    "li",
    { class: "webhook-card", dataset: { webhookId: webhook.id } },
    h(
      "div",
      { class: "webhook-card-head" },
      h("a", { href, class: "strong webhook-title" }, webhookTitle(webhook)),
      enabledBadge(webhook),
    ),
    h("div", { class: "mono small muted ellipsis", title: webhook.url }, webhook.url),
    h(
      "div",
      { class: "chips" },
      webhook.event_types.length === 0
        ? h("span", { class: "chip chip-muted" }, "All event types")
        : webhook.event_types.map((type) => h("span", { class: "chip" }, type)),
      webhook.ordering === "fifo" ? h("span", { class: "chip chip-accent" }, "FIFO") : null,
    ),
    h(
      "dl",
      { class: "health" },
      h("div", {}, h("dt", {}, "Success, 24 h"), rate),
      h("div", {}, h("dt", {}, "Last delivery"), last),
    ),
  );
  loadHealth(context, webhook, rate, last);
  return item;
}

/** Fills in the health figures once they arrive; a failure shows a dash, not an error page. */
async function loadHealth(
  context: ViewContext,
  webhook: Webhook,
  rate: HTMLElement,
  last: HTMLElement,
): Promise<void> {
  const [stats, events] = await Promise.allSettled([
    context.client.webhooks.stats(webhook.id),
    context.client.events.list({ webhook_id: webhook.id, limit: 1 }),
  ]);
  if (!context.isCurrent()) return;
  const failed = (reason: unknown) =>
    h("span", { class: "muted", title: reason instanceof Error ? reason.message : "" }, "—");

  if (stats.status === "fulfilled") {
    const { success_rate: value, counts } = stats.value;
    const finished = counts.success + counts.failed;
    const tone = rateTone(value);
    replace(
      rate,
      h("span", { class: `rate ${tone ? `rate-${tone}` : ""}`.trim() }, formatPercent(value)),
      finished > 0 ? h("span", { class: "muted small" }, ` of ${finished}`) : null,
    );
  } else replace(rate, failed(stats.reason));

  if (events.status === "fulfilled") {
    const event = events.value.data[0];
    replace(
      last,
      event
        ? h(
            "span",
            { class: "last-delivery" },
            statusBadge(event.delivery_status),
            event.delivery_attempts > 0 ? httpBadge(event.http_status_code) : null,
            h(
              "span",
              { class: "muted small", title: formatDateTime(event.updated_at) },
              formatRelative(event.updated_at),
            ),
          )
        : h("span", { class: "muted" }, "None yet"),
    );
  } else replace(last, failed(events.reason));
}
