/**
 * @module A webhook's event types: a text box, as before (comma-separated,
 * empty for every type), with the event catalog's types beside it to tick.
 * The box stays the one source of what is sent: ticking a type adds it to
 * the box, typing in the box ticks what it names, and a type the catalog
 * does not list can still be typed (the relay refuses it, naming it, when
 * RELAY_REQUIRE_EVENT_TYPES is on). Deprecated types are marked.
 */
import type { EventType } from "../../../clients/typescript/src/client";
import { loadCatalog } from "../catalog";
import { h, replace } from "../dom";
import { parseEventTypes, toggleEventType } from "../form-parsers";
import { deprecatedBadge, field } from "../ui";
import type { ViewContext } from "./context";

export function eventTypePicker(
  context: ViewContext,
  current: string[],
): { element: HTMLElement; read(): string[] } {
  const input = h("input", {
    name: "event_types",
    value: current.join(", "),
    placeholder: "All event types",
    "data-path": "event_types",
    autocomplete: "off",
    spellcheck: "false",
  });
  const boxes = new Map<string, HTMLInputElement>();
  const tickFromText = () => {
    const chosen = new Set(parseEventTypes(input.value));
    for (const [name, box] of boxes) box.checked = chosen.has(name);
  };
  input.addEventListener("input", tickFromText);

  const picker = h("div", { class: "type-picker" });
  const hint = h("p", { class: "hint" }, "Comma-separated, e.g. charge.success, transfer.failed. Empty: every type.");
  const option = (type: EventType) => {
    const box = h("input", {
      type: "checkbox",
      value: type.name,
      on: {
        change: () => {
          input.value = toggleEventType(input.value, type.name, box.checked);
          // As if typed: the form clears the box's error once it is edited.
          input.dispatchEvent(new Event("input", { bubbles: true }));
        },
      },
    });
    boxes.set(type.name, box);
    return h(
      "li",
      {},
      h(
        "label",
        { class: "type-option", dataset: { eventType: type.name } },
        box,
        h("span", { class: "type-option-name" }, type.name),
        type.deprecated ? deprecatedBadge() : null,
        type.description
          ? h("span", { class: "type-option-description", title: type.description }, type.description)
          : null,
      ),
    );
  };
  loadCatalog(context.client)
    .then((types) => {
      if (types.length === 0) return;
      hint.textContent = "Comma-separated, or tick them in the catalog below. Empty: every type.";
      replace(
        picker,
        h("p", { class: "type-picker-title" }, "From the event catalog"),
        h("ul", { class: "type-options", id: "event-type-options" }, types.map(option)),
      );
      tickFromText();
    })
    .catch(() => {
      // No catalog to offer: the box alone, as before.
    });

  const element = field("Event types", input);
  element.append(hint, picker);
  return { element, read: () => parseEventTypes(input.value) };
}
