/** @module Small pieces every view uses: badges, cards, errors, toasts, dialogs. */
import type { DeliveryStatus, Webhook } from "../../clients/typescript/src/client";
import { HookrelayError } from "../../clients/typescript/src/errors";
import { byId, type Children, h, replace } from "./dom";

const STATUS_LABELS: Record<DeliveryStatus, string> = {
  pending: "Pending",
  retrying: "Retrying",
  success: "Success",
  failed: "Failed",
};

export function statusBadge(status: DeliveryStatus): HTMLElement {
  return h("span", { class: `badge badge-${status}`, dataset: { status } }, STATUS_LABELS[status]);
}

/** The HTTP status of an attempt: 2xx green, else red; 0 means no response at all. */
export function httpBadge(code: number): HTMLElement {
  if (code === 0) return h("span", { class: "code code-none", title: "No response" }, "—");
  const kind = code >= 200 && code < 300 ? "ok" : code >= 500 ? "err" : "warn";
  return h("span", { class: `code code-${kind}` }, String(code));
}

export function enabledBadge(webhook: Pick<Webhook, "enabled" | "disabled_reason">): HTMLElement {
  if (webhook.enabled) return h("span", { class: "badge badge-enabled" }, "Enabled");
  const why =
    webhook.disabled_reason === "gone"
      ? " · 410 Gone"
      : webhook.disabled_reason === "failing"
        ? " · failing"
        : "";
  return h("span", { class: "badge badge-disabled" }, `Disabled${why}`);
}

/** An event type the catalog marks deprecated: still delivered, being phased out. */
export function deprecatedBadge(): HTMLElement {
  return h(
    "span",
    { class: "badge badge-deprecated", title: "Still delivered; being phased out." },
    "Deprecated",
  );
}

/** A page's heading: the text at the left, the actions at the right, into `head` when given. */
export function pageHead(
  text: Children[],
  actions: Children[],
  head: HTMLElement = h("div", { class: "page-head" }),
): HTMLElement {
  replace(
    head,
    h("div", { class: "head-text" }, ...text),
    h("div", { class: "page-actions" }, ...actions),
  );
  return head;
}

/** A page title that ellipsises when long, with a badge beside it. */
export function titleRow(title: string, badge: Node): HTMLElement {
  return h("h1", { class: "title-row" }, h("span", { class: "ellipsis" }, title), badge);
}

/** A titled panel; `actions` sit at the right of the title. */
export function card(
  title: string,
  body: (Node | string | null)[],
  options: { actions?: Node[]; class?: string; id?: string } = {},
): HTMLElement {
  return h(
    "section",
    { class: `card ${options.class ?? ""}`.trim(), id: options.id, "aria-label": title },
    h(
      "header",
      { class: "card-head" },
      h("h2", {}, title),
      h("div", { class: "card-actions" }, options.actions ?? []),
    ),
    h("div", { class: "card-body" }, body),
  );
}

export function emptyState(title: string, hint: string, action?: Node): HTMLElement {
  return h(
    "div",
    { class: "empty" },
    h("p", { class: "empty-title" }, title),
    h("p", { class: "muted" }, hint),
    action ?? null,
  );
}

export function spinner(label = "Loading…"): HTMLElement {
  return h("div", { class: "loading", role: "status" }, h("span", { class: "spin" }), label);
}

/**
 * What went wrong, for a person: the problem's detail, and each field error
 * unless `listErrors` is false (a form shows them under its fields).
 */
export function errorBox(error: unknown, context?: string, listErrors = true): HTMLElement {
  const problem = error instanceof HookrelayError ? error.problem : null;
  const prefix = context ? `${context}: ` : "";
  // fetch rejects with a TypeError when the relay cannot be reached at all.
  const title = problem
    ? `${prefix}${problem.title} (${problem.status})`
    : error instanceof TypeError
      ? `${prefix}Network error`
      : (context ?? "Something went wrong");
  const detail = problem
    ? problem.detail
    : error instanceof TypeError
      ? "Could not reach the relay. Check your connection and try again."
      : error instanceof Error
        ? error.message
        : String(error);
  // The detail joins every field error; several read better as a list.
  const errors = problem?.errors ?? [];
  const list = listErrors && errors.length > 1 ? errors : null;
  return h(
    "div",
    { class: "alert alert-error", role: "alert" },
    h("strong", {}, title),
    list
      ? h(
          "ul",
          { class: "alert-errors" },
          list.map((e) => h("li", {}, h("code", {}, e.path), ` ${e.message}`)),
        )
      : h("p", { class: "alert-detail" }, detail),
  );
}

export function toast(message: string, kind: "ok" | "error" | "info" = "ok"): void {
  const region = byId("toasts");
  const item = h("div", { class: `toast toast-${kind}` }, message);
  region.appendChild(item);
  setTimeout(() => item.classList.add("toast-leaving"), 4000);
  setTimeout(() => item.remove(), 4400);
}

/** Runs `action` with `button` disabled and marked busy, so double clicks do nothing. */
export async function withBusy<T>(button: HTMLButtonElement, action: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

export function button(
  label: string,
  onClick: (event: MouseEvent) => void,
  variant: "primary" | "secondary" | "danger" | "ghost" = "secondary",
  extra: Record<string, string> = {},
): HTMLButtonElement {
  return h(
    "button",
    { type: "button", class: `btn btn-${variant}`, on: { click: onClick }, ...extra },
    label,
  );
}

export function copyButton(getText: () => string, label = "Copy"): HTMLButtonElement {
  const copy = button(label, async () => {
    try {
      await navigator.clipboard.writeText(getText());
      toast("Copied to the clipboard");
    } catch {
      toast("The browser did not allow copying; select the text instead.", "error");
    }
  });
  return copy;
}

/**
 * A modal dialog holding a form. `submit` returns true to close it; while it
 * runs the buttons are disabled, and a thrown error shows inside the dialog.
 */
export function formDialog(options: {
  title: string;
  fields: Node[];
  submitLabel: string;
  danger?: boolean;
  submit: (form: HTMLFormElement) => Promise<boolean>;
  onClose?: () => void;
}): HTMLDialogElement {
  const errors = h("div", { class: "dialog-errors" });
  const cancel = h("button", { type: "button", class: "btn btn-secondary" }, "Cancel");
  const submitButton = h(
    "button",
    { type: "submit", class: `btn ${options.danger ? "btn-danger" : "btn-primary"}` },
    options.submitLabel,
  );
  const form = h(
    "form",
    { class: "dialog-form", novalidate: true },
    h("header", { class: "dialog-head" }, h("h2", {}, options.title)),
    h("div", { class: "dialog-body" }, errors, options.fields),
    h("footer", { class: "dialog-foot" }, cancel, submitButton),
  );
  const dialog = h("dialog", { class: "dialog", "aria-label": options.title }, form);
  const close = () => {
    dialog.close();
    dialog.remove();
    options.onClose?.();
  };
  cancel.addEventListener("click", close);
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    close();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    for (const field of form.querySelectorAll(".field-error")) field.remove();
    for (const field of form.querySelectorAll("[aria-invalid]"))
      field.removeAttribute("aria-invalid");
    try {
      const done = await withBusy(submitButton, () => options.submit(form));
      if (done) close();
    } catch (error) {
      const placed = markFieldErrors(form, error);
      const context = error instanceof HookrelayError ? undefined : "Check the form";
      errors.appendChild(errorBox(error, context, !placed));
      errors.scrollIntoView({ block: "nearest" });
    }
  });
  // A field's error goes away as soon as it is edited.
  form.addEventListener("input", (event) => {
    const input = event.target as HTMLElement;
    if (!input.hasAttribute("aria-invalid")) return;
    input.removeAttribute("aria-invalid");
    input.closest(".field")?.querySelector(".field-error")?.remove();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  return dialog;
}

/**
 * Puts each 422 field error under the visible input whose `data-path` starts
 * its path; true when every error found a place.
 */
function markFieldErrors(form: HTMLFormElement, error: unknown): boolean {
  const errors = error instanceof HookrelayError ? (error.problem.errors ?? []) : [];
  if (errors.length === 0) return false;
  let placed = 0;
  for (const fieldError of errors) {
    const root = fieldError.path.split(".")[0] ?? "";
    const input = [...form.querySelectorAll<HTMLElement>(`[data-path="${CSS.escape(root)}"]`)].find(
      (candidate) => candidate.offsetParent !== null,
    );
    if (!input) continue;
    input.setAttribute("aria-invalid", "true");
    const where = input.closest(".field");
    if (!where) continue;
    const text =
      fieldError.path === root ? fieldError.message : `${fieldError.path}: ${fieldError.message}`;
    where.appendChild(h("p", { class: "field-error" }, text));
    placed += 1;
  }
  return placed === errors.length;
}

/** Asks before something that cannot be undone; resolves true when confirmed. */
export function confirmDialog(options: {
  title: string;
  message: string;
  confirmLabel: string;
  danger?: boolean;
}): Promise<boolean> {
  return new Promise((resolve) => {
    let confirmed = false;
    formDialog({
      title: options.title,
      fields: [h("p", {}, options.message)],
      submitLabel: options.confirmLabel,
      danger: options.danger ?? false,
      submit: async () => {
        confirmed = true;
        return true;
      },
      onClose: () => resolve(confirmed),
    });
  });
}

/**
 * Asks first; once confirmed, runs `action` with `busy` disabled. A refusal
 * is a toast with the API's words. True when it was done.
 */
export async function confirmThen(
  busy: HTMLButtonElement,
  question: Parameters<typeof confirmDialog>[0],
  action: () => Promise<unknown>,
  failed: string,
): Promise<boolean> {
  if (!(await confirmDialog(question))) return false;
  try {
    await withBusy(busy, action);
    return true;
  } catch (error) {
    toast(error instanceof Error ? error.message : failed, "error");
    return false;
  }
}

/** A labelled form field; `hint` sits under the input. */
export function field(
  label: string,
  input: HTMLElement,
  hint?: string,
  options: { class?: string } = {},
): HTMLElement {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h(
    "div",
    { class: `field ${options.class ?? ""}`.trim() },
    h("label", { for: id }, label),
    input,
    hint ? h("p", { class: "hint" }, hint) : null,
  );
}
