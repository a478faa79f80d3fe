/**
 * @module The event catalog (SPEC §8.3): each event type the provider sends,
 * with its description, whether it is deprecated, and its example and JSON
 * Schema to read. Everyone signed in reads it, portal links included (a
 * customer learns what it may subscribe to); an operator also creates,
 * edits and deletes types here. Anyone else sees no controls.
 */
import type { CreateEventType, EventType } from "../../../clients/typescript/src/client";
import { byName, loadCatalog, mayWriteCatalog, present } from "../catalog";
import { h, replace } from "../dom";
import { parseJsonBox } from "../form-parsers";
import { formatDateTime, formatRelative, prettyJson } from "../format";
import type { Client } from "../connection";
import { hrefFor, names, readPortal } from "../state";
import {
  button,
  card,
  confirmThen,
  copyButton,
  deprecatedBadge,
  emptyState,
  field,
  formDialog,
  pageHead,
  toast,
} from "../ui";
import type { Crumb, ViewContext } from "./context";

/** From this many types on, a box narrows the list by name or description. */
const SEARCH_FROM = 8;

export async function renderEventTypes(context: ViewContext): Promise<void> {
  const { client, main } = context;
  const [types, operator, home] = await Promise.all([
    loadCatalog(client),
    mayWriteCatalog(client),
    homeCrumb(client),
  ]);
  if (!context.isCurrent()) return;
  context.setCrumbs([home, { label: "Event catalog" }]);

  const listCard = h("div");
  const render = () => {
    const actions = (type: EventType) => (operator ? itemActions(context, type, changed, removed) : []);
    // After a change the list is drawn again: what was unfolded stays unfolded.
    const unfolded = [...listCard.querySelectorAll<HTMLElement>("details[open]")].map(foldKey);
    replace(
      listCard,
      card(`Event types (${types.length})`, [
        types.length === 0 ? emptyCatalog(operator, create) : catalogList(types, actions),
      ]),
    );
    for (const details of listCard.querySelectorAll<HTMLDetailsElement>("details"))
      details.open = unfolded.includes(foldKey(details));
  };
  const changed = (type: EventType) => {
    const index = types.findIndex((t) => t.name === type.name);
    if (index >= 0) types[index] = type;
    else types.push(type);
    types.sort(byName);
    if (context.isCurrent()) render();
  };
  const removed = (name: string) => {
    const index = types.findIndex((t) => t.name === name);
    if (index >= 0) types.splice(index, 1);
    if (context.isCurrent()) render();
  };
  const create = () => openEventTypeForm(context, undefined, changed);

  render();
  replace(
    main,
    h(
      "div",
      { class: "page" },
      pageHead(
        [
          h("h1", {}, "Event catalog"),
          h(
            "p",
            { class: "muted" },
            "The events that can be delivered: what each one means, and the shape of its payload.",
            operator || readPortal()
              ? null
              : " Read-only here: only the admin token or an admin key confined to no application may change it.",
          ),
        ],
        operator ? [button("New event type", create, "primary")] : [],
      ),
      listCard,
    ),
  );
}

/** The way back: the list of applications, or a portal's one application, by name. */
async function homeCrumb(client: Client): Promise<Crumb> {
  const applicationId = readPortal()?.applicationId;
  if (!applicationId) return { label: "Applications", href: "#/" };
  let name = names.get(applicationId);
  if (name === undefined) {
    name = (await client.applications.get(applicationId)).name;
    names.set(applicationId, name);
  }
  return { label: name, href: hrefFor({ view: "application", applicationId }) };
}

/** Which type's example or schema a fold shows. */
function foldKey(details: HTMLElement): string {
  return `${details.closest<HTMLElement>("[data-event-type]")?.dataset.eventType} ${details.dataset.kind}`;
}

function emptyCatalog(operator: boolean, create: () => void): HTMLElement {
  return operator
    ? emptyState(
        "No event types yet",
        "Describe the events you publish: a name, what it means, an example, and a JSON Schema that payloads must match.",
        button("Add the first event type", create, "primary"),
      )
    : emptyState("No event types yet", "No event types have been described yet.");
}

function catalogList(types: EventType[], actions: (type: EventType) => Node[]): HTMLElement {
  const items = types.map((type) => catalogItem(type, actions(type)));
  const list = h("ul", { class: "catalog", id: "event-types" }, items);
  if (types.length < SEARCH_FROM) return list;
  const none = h("p", { class: "muted", hidden: true }, "No event type matches.");
  const search = h("input", {
    type: "search",
    id: "catalog-search",
    placeholder: "Name or words of its description",
    autocomplete: "off",
    on: {
      input: () => {
        const words = search.value.trim().toLowerCase();
        let shown = 0;
        types.forEach((type, index) => {
          const text = `${type.name} ${type.description ?? ""}`.toLowerCase();
          const match = text.includes(words);
          items[index]!.hidden = !match;
          if (match) shown += 1;
        });
        none.hidden = shown > 0;
      },
    },
  });
  return h(
    "div",
    { class: "catalog-search" },
    h("div", { class: "field" }, h("label", { for: "catalog-search" }, "Find a type"), search),
    list,
    none,
  );
}

function catalogItem(type: EventType, actions: Node[]): HTMLElement {
  return h(
    "li",
    { class: "catalog-item", dataset: { eventType: type.name } },
    h(
      "div",
      { class: "catalog-item-head" },
      h("h3", { class: "catalog-name" }, type.name),
      type.deprecated ? deprecatedBadge() : null,
      present(type.schema)
        ? h("span", { class: "chip chip-accent", title: "Payloads of this type are checked against its schema when published." }, "Schema")
        : h("span", { class: "chip chip-muted" }, "No schema"),
      actions.length > 0 ? h("div", { class: "catalog-actions" }, actions) : null,
    ),
    type.description
      ? h("p", { class: "catalog-description" }, type.description)
      : h("p", { class: "muted" }, "No description."),
    present(type.example) ? jsonDetails("Example", type.example, "example") : null,
    present(type.schema) ? jsonDetails("Schema", type.schema, "schema") : null,
    h(
      "p",
      { class: "muted small", title: formatDateTime(type.updated_at) },
      `Updated ${formatRelative(type.updated_at)}`,
    ),
  );
}

/** A JSON value, folded under its label until asked for, copyable. */
function jsonDetails(label: string, value: unknown, kind: string): HTMLElement {
  const json = prettyJson(value);
  const copy = copyButton(() => json, "Copy JSON");
  copy.classList.add("btn-small");
  return h(
    "details",
    { class: "json-details", dataset: { kind } },
    h("summary", {}, label),
    h("div", { class: "json-details-body" }, copy, h("pre", { class: "code-block" }, json)),
  );
}

function itemActions(
  context: ViewContext,
  type: EventType,
  changed: (type: EventType) => void,
  removed: (name: string) => void,
): Node[] {
  const edit = button("Edit", () => openEventTypeForm(context, type, changed));
  const remove: HTMLButtonElement = button(
    "Delete",
    async () => {
      const deleted = await confirmThen(
        remove,
        {
          title: `Delete ${type.name}?`,
          message:
            "It leaves the catalog: publishing it is then as for any type not described, and no schema checks its payloads. Webhooks that subscribe to it keep it. This cannot be undone.",
          confirmLabel: "Delete event type",
          danger: true,
        },
        () => context.client.eventTypes.delete(type.name),
        "Could not delete the event type",
      );
      if (!deleted) return;
      toast(`Event type ${type.name} deleted`);
      removed(type.name);
    },
    "danger",
  );
  for (const action of [edit, remove]) action.classList.add("btn-small");
  return [edit, remove];
}

/** Creating a type (`existing` undefined) or editing one: its name cannot change, webhooks subscribe by it. */
function openEventTypeForm(
  context: ViewContext,
  existing: EventType | undefined,
  saved: (type: EventType) => void,
): void {
  const name = h("input", {
    name: "name",
    required: true,
    maxlength: "100",
    "data-path": "name",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "order.paid",
  });
  const description = h("textarea", {
    name: "description",
    rows: "2",
    maxlength: "4096",
    "data-path": "description",
    value: existing?.description ?? "",
  });
  const jsonBox = (path: string, rows: number, value: unknown, placeholder: string) =>
    h("textarea", {
      name: path,
      rows: String(rows),
      "data-path": path,
      spellcheck: "false",
      placeholder,
      value: present(value) ? prettyJson(value) : "",
    });
  const schema = jsonBox(
    "schema",
    8,
    existing?.schema,
    '{"type": "object", "required": ["order_id"], "properties": {"order_id": {"type": "string"}}}',
  );
  const example = jsonBox("example", 4, existing?.example, '{"order_id": "ord_123"}');
  const deprecated = h("input", {
    type: "checkbox",
    name: "deprecated",
    id: "event-type-deprecated",
    checked: existing?.deprecated ?? false,
  });

  formDialog({
    title: existing ? `Edit ${existing.name}` : "New event type",
    submitLabel: existing ? "Save changes" : "Create event type",
    fields: [
      ...(existing
        ? []
        : [field("Name", name, "1–100 letters, digits, _ . or -. It cannot change later: webhooks subscribe by it.")]),
      field("Description", description, "What happened, for the people who receive it."),
      field(
        "Schema",
        schema,
        "JSON Schema 2020-12 that payloads must match when published; empty for none.",
      ),
      field("Example", example, "A payload of this type, shown to your customers; it must match the schema."),
      h(
        "label",
        { class: "check", for: deprecated.id },
        deprecated,
        " Deprecated: still accepted and delivered, marked so that customers move off it",
      ),
    ],
    submit: async () => {
      const input = {
        description: description.value.trim() || null,
        schema: parseJsonBox(schema.value, "Schema") as CreateEventType["schema"],
        example: parseJsonBox(example.value, "Example"),
        deprecated: deprecated.checked,
      };
      const type = existing
        ? await context.client.eventTypes.update(existing.name, input)
        : await context.client.eventTypes.create({ name: name.value.trim(), ...input });
      toast(existing ? `Event type ${type.name} saved` : `Event type ${type.name} created`);
      saved(type);
      return true;
    },
  });
  (existing ? description : name).focus();
}
