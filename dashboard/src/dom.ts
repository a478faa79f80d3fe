/**
 * @module Building DOM without innerHTML: text always goes in as text nodes,
 * so nothing the API returns (URLs, response bodies, payloads) can become
 * markup. Inline `style` attributes are not used: the page's CSP forbids them.
 */

type Child = Node | string | number | null | undefined | false;
export type Children = Child | Child[];

type Props = {
  class?: string | undefined;
  text?: string | undefined;
  dataset?: Record<string, string> | undefined;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void } | undefined;
  [attribute: string]: unknown;
};

function append(parent: Node, children: Children[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/**
 * An element with attributes, listeners and children.
 *
 * @example
 *   h("button", { class: "btn", type: "button", on: { click: save } }, "Save")
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Children[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = String(value);
    else if (key === "text") element.textContent = String(value);
    else if (key === "dataset")
      Object.assign(element.dataset, value as Record<string, string>);
    else if (key === "value") (element as unknown as { value: string }).value = String(value);
    else if (key === "on") {
      for (const [name, listener] of Object.entries(value as Record<string, EventListener>))
        element.addEventListener(name, listener);
    } else if (key in element && typeof value !== "string") {
      // Properties such as `value`, `checked`, `disabled` as booleans/numbers.
      (element as unknown as Record<string, unknown>)[key] = value;
    } else element.setAttribute(key, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element; attributes are set as given (numbers are stringified). */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number | undefined> = {},
  ...children: Children[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attributes))
    if (value !== undefined) element.setAttribute(key, String(value));
  append(element, children);
  return element;
}

/** Replaces everything inside `parent`. */
export function replace(parent: Element, ...children: Children[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}
