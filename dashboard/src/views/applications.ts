/** @module Applications: the list, newest first, and creating one. */
import { h, replace } from "../dom";
import { formatDateTime, formatRelative } from "../format";
import { hrefFor, navigate } from "../state";
import type { Application } from "../../../clients/typescript/src/client";
import {
  button,
  card,
  emptyState,
  errorBox,
  field,
  formDialog,
  pageHead,
  toast,
  withBusy,
} from "../ui";
import type { ViewContext } from "./context";

export async function renderApplications(context: ViewContext): Promise<void> {
  const { client, main } = context;
  context.setCrumbs([{ label: "Applications" }]);
  const first = await client.applications.list();
  if (!context.isCurrent()) return;

  const rows = h("tbody");
  const more = h("div", { class: "list-more" });
  const addRows = (apps: Application[]) => {
    for (const app of apps) rows.appendChild(applicationRow(app));
  };
  const showMore = (cursor: string | null) => {
    replace(
      more,
      cursor
        ? button("Load more", async (event) => {
            const target = event.currentTarget as HTMLButtonElement;
            try {
              const page = await withBusy(target, () => client.applications.list({ cursor }));
              addRows(page.data);
              showMore(page.next_cursor);
            } catch (error) {
              more.prepend(errorBox(error, "Could not load more applications"));
            }
          })
        : null,
    );
  };

  const create = button("New application", () => openCreateApplication(context), "primary");
  const body =
    first.data.length === 0
      ? emptyState(
          "No applications yet",
          "An application is one of your customers; its webhooks receive the events you publish for it.",
          button("Create the first application", () => openCreateApplication(context), "primary"),
        )
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "table table-stack", id: "applications-table" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["Name", "UID", "Webhook limit", "Created"].map((label) => h("th", {}, label)),
              ),
            ),
            rows,
          ),
          more,
        );
  addRows(first.data);
  showMore(first.next_cursor);
  replace(
    main,
    h(
      "div",
      { class: "page" },
      pageHead(
        [
          h("h1", {}, "Applications"),
          h("p", { class: "muted" }, "Each application is a tenant with its own webhooks."),
        ],
        [create],
      ),
      card("All applications", [body]),
    ),
  );
}

function applicationRow(app: Application): HTMLElement {
  const href = hrefFor({ view: "application", applicationId: app.id });
  const open = (event: MouseEvent) => {
    // The name is a real link; the rest of the row follows it too.
    if ((event.target as HTMLElement).closest("a")) return;
    navigate({ view: "application", applicationId: app.id });
  };
  return h(
    "tr",
    { class: "clickable", dataset: { applicationId: app.id }, on: { click: open } },
    h(
      "td",
      { "data-label": "Name" },
      h("a", { href, class: "strong" }, app.name),
      h("div", { class: "mono muted small" }, app.id),
    ),
    h(
      "td",
      { "data-label": "UID" },
      app.uid ? h("code", {}, app.uid) : h("span", { class: "muted" }, "—"),
    ),
    h("td", { "data-label": "Webhook limit" }, String(app.webhook_limit)),
    h(
      "td",
      { "data-label": "Created", title: formatDateTime(app.created_at) },
      formatRelative(app.created_at),
    ),
  );
}

function openCreateApplication(context: ViewContext): void {
  const name = h("input", {
    name: "name",
    required: true,
    maxlength: "256",
    "data-path": "name",
    autocomplete: "off",
  });
  const uid = h("input", {
    name: "uid",
    maxlength: "256",
    "data-path": "uid",
    autocomplete: "off",
    placeholder: "optional",
  });
  const limit = h("input", {
    name: "webhook_limit",
    type: "number",
    min: "1",
    max: "1000",
    value: "10",
    "data-path": "webhook_limit",
  });
  formDialog({
    title: "New application",
    submitLabel: "Create application",
    fields: [
      field("Name", name, "Shown here and in your logs, e.g. the customer's name."),
      field("UID", uid, "Your own unique id for this customer (letters, digits, _ . : -)."),
      field("Webhook limit", limit, "How many webhooks this application may register."),
    ],
    submit: async () => {
      const app = await context.client.applications.create({
        name: name.value.trim(),
        ...(uid.value.trim() ? { uid: uid.value.trim() } : {}),
        ...(limit.value ? { webhook_limit: Number(limit.value) } : {}),
      });
      toast(`Application “${app.name}” created`);
      navigate({ view: "application", applicationId: app.id });
      return true;
    },
  });
  name.focus();
}
