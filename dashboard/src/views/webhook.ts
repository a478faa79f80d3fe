/**
 * @module One webhook: its health and settings, the actions on it (test,
 * edit, enable/disable, delete, secret, recover), the 24-hour chart and its
 * delivery events.
 */
import { bucketsOf, deliveryChart } from "../chart";
import { h, replace } from "../dom";
import {
  describePolicy,
  formatDateTime,
  formatDuration,
  formatPercent,
  formatRelative,
  localInputValue,
  rateTone,
  webhookTitle,
} from "../format";
import { type EventQuery, hrefFor, names, navigate } from "../state";
import type { Webhook, WebhookSecret, WebhookStats } from "../../../clients/typescript/src/client";
import {
  button,
  card,
  confirmDialog,
  copyButton,
  enabledBadge,
  errorBox,
  spinner,
  toast,
  pageHead,
  titleRow,
  withBusy,
} from "../ui";
import type { Crumb, ViewContext } from "./context";
import { eventsPanel } from "./events";
import { replayCard } from "./replay";
import { openWebhookForm } from "./webhook-form";

/** Breadcrumbs down to a webhook; the application's name comes from cache or one read. */
export async function webhookCrumbs(context: ViewContext, webhook: Webhook): Promise<Crumb[]> {
  let appName = names.get(webhook.application_id);
  if (appName === undefined) {
    try {
      appName = (await context.client.applications.get(webhook.application_id)).name;
      names.set(webhook.application_id, appName);
    } catch {
      appName = "Application";
    }
  }
  return [
    { label: "Applications", href: "#/" },
    {
      label: appName,
      href: hrefFor({ view: "application", applicationId: webhook.application_id }),
    },
    {
      label: webhookTitle(webhook),
      href: hrefFor({ view: "webhook", webhookId: webhook.id, query: {} }),
    },
  ];
}

export async function renderWebhook(
  context: ViewContext,
  webhookId: string,
  query: EventQuery,
): Promise<void> {
  const { client, main } = context;
  let webhook = await client.webhooks.get(webhookId);
  const crumbs = await webhookCrumbs(context, webhook);
  if (!context.isCurrent()) return;
  context.setCrumbs(crumbs);

  const header = h("div", { class: "page-head" });
  const statsBody = h("div", { class: "stat-tiles" }, spinner());
  const chartBody = h("div", { class: "chart-box" }, spinner());
  const settingsBody = h("div");
  const events = eventsPanel(context, webhook, query, () => refreshSummary());

  /** The tiles and the chart, from one stats call. */
  const refreshSummary = async () => {
    try {
      const stats = await client.webhooks.stats(webhook.id);
      if (!context.isCurrent()) return;
      replace(statsBody, statTiles(stats));
      replace(chartBody, deliveryChart(bucketsOf(stats)));
    } catch (error) {
      replace(statsBody, errorBox(error, "Could not load the statistics"));
      replace(chartBody);
    }
  };

  const toggle = async (click: MouseEvent) => {
    const target = click.currentTarget as HTMLButtonElement;
    const enabled = !webhook.enabled;
    try {
      webhook = await withBusy(target, () => client.webhooks.update(webhook.id, { enabled }));
      toast(enabled ? "Webhook enabled" : "Webhook disabled: it receives nothing until enabled");
      renderHeader();
      renderSettings();
    } catch (error) {
      showError(header, error, `Could not ${enabled ? "enable" : "disable"} the webhook`);
    }
  };
  const sendTest = async (click: MouseEvent) => {
    const target = click.currentTarget as HTMLButtonElement;
    try {
      await withBusy(target, () => client.webhooks.sendTest(webhook.id));
      toast("Test event sent");
      events.showNewest();
    } catch (error) {
      showError(header, error, "Could not send a test");
    }
  };
  const edit = () =>
    openWebhookForm(context, {
      webhook,
      onSaved: (saved) => {
        webhook = saved;
        renderHeader();
        renderSettings();
        webhookCrumbs(context, saved).then((next) => {
          if (context.isCurrent()) context.setCrumbs(next);
        });
      },
    });
  const remove = async () => {
    const confirmed = await confirmDialog({
      title: "Delete this webhook?",
      message: `${webhookTitle(webhook)} and its whole delivery history will be deleted. This cannot be undone.`,
      confirmLabel: "Delete webhook",
      danger: true,
    });
    if (!confirmed) return;
    try {
      await client.webhooks.delete(webhook.id);
      toast("Webhook deleted");
      navigate({ view: "application", applicationId: webhook.application_id });
    } catch (error) {
      showError(header, error, "Could not delete the webhook");
    }
  };

  const renderHeader = () => {
    const disabledBy = !webhook.enabled ? webhook.disabled_reason : null;
    pageHead(
      [
        titleRow(webhookTitle(webhook), enabledBadge(webhook)),
        h("p", { class: "mono url-line", title: webhook.url }, webhook.url),
        disabledBy === "gone" || disabledBy === "failing"
          ? h(
              "p",
              { class: "alert alert-warn" },
              disabledBy === "gone"
                ? "Disabled because the endpoint answered 410 Gone."
                : "Disabled because it had no successful delivery for 5 days.",
              " Enable it, then recover the events it missed.",
            )
          : null,
      ],
      [
        button(
          "Send a test",
          sendTest,
          "primary",
          webhook.enabled ? {} : { disabled: "", title: "Enable the webhook to send a test" },
        ),
        button("Edit", edit),
        button(webhook.enabled ? "Disable" : "Enable", toggle),
        button("Delete", remove, "danger"),
      ],
      header,
    );
  };

  const renderSettings = () => replace(settingsBody, settingsList(webhook));

  renderHeader();
  renderSettings();
  replace(
    main,
    h(
      "div",
      { class: "page" },
      header,
      h(
        "div",
        { class: "webhook-layout" },
        h(
          "div",
          { class: "layout-main" },
          statsBody,
          card("Delivery attempts per hour, last 24 hours", [chartBody], { id: "chart-card" }),
          events.element,
        ),
        h(
          "aside",
          { class: "layout-side" },
          card("Settings", [settingsBody]),
          secretCard(context, webhook.id),
          recoverCard(context, webhook.id, () => events.showNewest()),
          replayCard(context, webhook.id, () => events.showNewest()),
        ),
      ),
    ),
  );
  refreshSummary();
}

function statTiles(stats: WebhookStats): HTMLElement[] {
  const { counts, latency_ms: latency } = stats;
  const finished = counts.success + counts.failed;
  return [
    tile(
      "Success rate",
      formatPercent(stats.success_rate),
      finished ? `${finished} finished` : "nothing finished yet",
      rateTone(stats.success_rate),
    ),
    tile("Delivered", String(counts.success), "last 24 hours", counts.success ? "good" : ""),
    tile("Failed", String(counts.failed), "last 24 hours", counts.failed ? "bad" : ""),
    tile(
      "Latency p50 / p95",
      latency.p50 === null ? "—" : formatDuration(latency.p50),
      latency.p95 === null ? `${stats.attempts} attempts` : `p95 ${formatDuration(latency.p95)}`,
      "",
    ),
  ];
}

function tile(label: string, value: string, sub: string, tone: string): HTMLElement {
  return h(
    "div",
    { class: `tile ${tone ? `tile-${tone}` : ""}`.trim() },
    h("div", { class: "tile-label" }, label),
    h("div", { class: "tile-value" }, value),
    h("div", { class: "tile-sub" }, sub),
  );
}

const SCHEMES: Record<Webhook["signature_scheme"], string> = {
  v1: "v1: HMAC-SHA256",
  v1a: "v1a: Ed25519",
  "v1+v1a": "v1 and v1a: HMAC-SHA256 and Ed25519",
};

/** Where receivers fetch the public keys: the API's JWKS URL (read access), copyable. */
function jwksLink(webhookId: string): HTMLElement {
  const url = `${location.origin}/v1/webhooks/${encodeURIComponent(webhookId)}/jwks`;
  return h(
    "div",
    { class: "row" },
    h("a", { class: "mono small", id: "jwks-link", href: url, target: "_blank", rel: "noopener" }, url),
    copyButton(() => url),
  );
}

function settingsList(webhook: Webhook): HTMLElement {
  const row = (label: string, value: Node | string) =>
    h("div", { class: "settings-row" }, h("dt", {}, label), h("dd", {}, value));
  const chips = (items: string[], tag: "span" | "code") =>
    h(
      "div",
      { class: "chips" },
      items.map((item) => h(tag, { class: "chip" }, item)),
    );
  // Header names only: values are often credentials for the receiver.
  const headerNames = Object.keys(webhook.headers);
  return h(
    "dl",
    { class: "settings" },
    row(
      "Event types",
      webhook.event_types.length ? chips(webhook.event_types, "span") : "All event types",
    ),
    row(
      "Payload filter",
      webhook.filter ? h("code", { class: "mono small" }, JSON.stringify(webhook.filter)) : "None",
    ),
    row("Retry policy", describePolicy(webhook.retry_policy)),
    row(
      "Ordering",
      webhook.ordering === "fifo"
        ? "FIFO, one at a time"
        : `Any order, up to ${webhook.max_in_flight} at once`,
    ),
    row(
      "Rate limit",
      webhook.rate_limit_per_second ? `${webhook.rate_limit_per_second} per second` : "None",
    ),
    row("Timeout", formatDuration(webhook.timeout_ms)),
    row("Payload", webhook.payload_format === "jsonapi" ? "JSON:API envelope" : "Raw payload"),
    row("Signatures", SCHEMES[webhook.signature_scheme]),
    webhook.public_key
      ? row(
          "Public key",
          h(
            "div",
            { class: "row" },
            h("code", { class: "mono small", id: "public-key" }, webhook.public_key),
            copyButton(() => webhook.public_key ?? ""),
          ),
        )
      : null,
    webhook.public_key ? row("JWKS", jwksLink(webhook.id)) : null,
    row("Client certificate", webhook.tls_client_certificate ?? "None"),
    row("Headers", headerNames.length ? chips(headerNames, "code") : "None"),
    row("Webhook id", h("span", { class: "mono small" }, webhook.id)),
    row(
      "Updated",
      h(
        "span",
        { title: formatDateTime(webhook.updated_at) },
        formatRelative(webhook.updated_at),
      ),
    ),
  );
}

/** Shows an error just under the page header, replacing the previous one. */
function showError(anchor: HTMLElement, error: unknown, context: string): void {
  anchor.parentElement?.querySelector(":scope > .action-error")?.remove();
  const box = errorBox(error, context);
  box.classList.add("action-error");
  box.appendChild(
    h(
      "button",
      {
        type: "button",
        class: "btn btn-ghost btn-small alert-close",
        on: { click: () => box.remove() },
      },
      "Dismiss",
    ),
  );
  anchor.after(box);
  box.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

const MASK = "whsec_••••••••••••••••••••••••";

/** The signing secret: hidden until asked for, copyable, rotatable. */
function secretCard(context: ViewContext, webhookId: string): HTMLElement {
  let revealed: WebhookSecret | null = null;
  const body = h("div", { class: "secret" });

  const reveal = async (click: MouseEvent) => {
    if (revealed) {
      revealed = null;
      render();
      return;
    }
    const target = click.currentTarget as HTMLButtonElement;
    try {
      revealed = await withBusy(target, () => context.client.webhooks.secret(webhookId));
      render();
    } catch (error) {
      body.prepend(errorBox(error, "Could not read the secret"));
    }
  };
  const rotate = async () => {
    const confirmed = await confirmDialog({
      title: "Rotate the signing secret?",
      message:
        "A new secret (and, for v1a, a new key pair) signs every delivery from now on. The old ones keep signing beside them for 24 hours, so receivers can switch without dropping events.",
      confirmLabel: "Rotate secret",
    });
    if (!confirmed) return;
    try {
      revealed = await context.client.webhooks.rotateSecret(webhookId);
      toast("Secret rotated");
      render();
    } catch (error) {
      body.prepend(errorBox(error, "Could not rotate the secret"));
    }
  };

  const render = () => {
    const expires = revealed?.previous_secret_expires_at ?? revealed?.previous_public_key_expires_at;
    replace(
      body,
      h(
        "div",
        { class: "secret-box" },
        h(
          "code",
          { class: `secret-value ${revealed ? "" : "masked"}`.trim(), id: "secret-value" },
          revealed ? (revealed.secret ?? "No HMAC secret: this webhook signs with v1a (Ed25519) only.") : MASK,
        ),
      ),
      h(
        "div",
        { class: "row" },
        button(revealed ? "Hide" : "Reveal", reveal),
        revealed?.secret ? copyButton(() => revealed?.secret ?? "") : null,
        button("Rotate", rotate),
      ),
      h(
        "p",
        { class: "hint" },
        expires
          ? `The previous secret also signs until ${formatDateTime(expires)}.`
          : "Receivers verify the webhook-signature header with it (Standard Webhooks).",
      ),
    );
  };
  render();
  return card("Signing secret", [body], { id: "secret-card" });
}

/** Recover: re-queue the webhook's failed events since a time. */
function recoverCard(context: ViewContext, webhookId: string, recovered: () => void): HTMLElement {
  const since = h("input", {
    type: "datetime-local",
    id: "recover-since",
    name: "since",
    value: localInputValue(new Date(Date.now() - 24 * 3_600_000)),
  });
  const result = h("div", { class: "recover-result", "aria-live": "polite" });
  const submit = h(
    "button",
    { type: "submit", class: "btn btn-secondary" },
    "Recover failed events",
  );
  const form = h(
    "form",
    { class: "recover-form" },
    h("div", { class: "field" }, h("label", { for: "recover-since" }, "Failed since"), since),
    submit,
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.replaceChildren();
    const when = new Date(since.value);
    if (Number.isNaN(when.getTime())) {
      result.appendChild(errorBox(new Error("Pick a date and time."), "Recover"));
      return;
    }
    try {
      const recovery = await withBusy(submit, () =>
        context.client.webhooks.recover(webhookId, { since: when.toISOString() }),
      );
      const { count } = recovery;
      result.appendChild(
        h(
          "p",
          { class: "alert alert-ok" },
          count === 0
            ? "No failed events in that window."
            : `${count} failed ${count === 1 ? "event is" : "events are"} on the way again.`,
        ),
      );
      if (count > 0) recovered();
    } catch (error) {
      result.appendChild(errorBox(error, "Could not recover"));
    }
  });
  return card(
    "Recover",
    [
      h(
        "p",
        { class: "hint" },
        "Send this webhook's failed events again, for example after an outage on the receiving side.",
      ),
      form,
    ],
    { id: "recover-card" },
  );
}
