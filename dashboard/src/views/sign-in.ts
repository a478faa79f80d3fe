/**
 * @module Sign in with the admin token or an API key. The token is checked
 * with one read before it is kept, and kept in sessionStorage only.
 */
import { HookrelayError } from "../../../clients/typescript/src/errors";
import { connect } from "../connection";
import { h, replace } from "../dom";
import { saveToken } from "../state";
import { errorBox, withBusy } from "../ui";

export function renderSignIn(main: HTMLElement, reason: string | null, signedIn: () => void): void {
  const errors = h("div", { class: "signin-errors" });
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    placeholder: "hr_admin_… or an API key",
  });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Sign in");
  const form = h(
    "form",
    { class: "signin-form", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "token" }, "Token"), input),
    h(
      "p",
      { class: "hint" },
      "The admin token (RELAY_ADMIN_TOKEN; `npm start` prints it) or an API key. It stays in this tab only and is forgotten when the tab closes.",
    ),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    const token = input.value.trim();
    if (!token) {
      errors.appendChild(errorBox(new Error("Enter a token."), "Sign in"));
      input.focus();
      return;
    }
    try {
      // Any read the token may make proves it; the API says why when it may not.
      await withBusy(submit, () => connect(token).applications.list({ limit: 1 }));
    } catch (error) {
      if (error instanceof HookrelayError && error.status === 401) {
        errors.appendChild(errorBox(error, "Sign in failed"));
        input.select();
        return;
      }
      // 403 and others: the token is real but may see little; keep it and let the views say so.
      if (!(error instanceof HookrelayError)) {
        errors.appendChild(errorBox(error, "Sign in failed"));
        return;
      }
    }
    saveToken(token);
    signedIn();
  });
  replace(
    main,
    h(
      "div",
      { class: "signin" },
      h(
        "div",
        { class: "signin-card" },
        h("h1", {}, "Sign in to hookrelay"),
        h("p", { class: "muted" }, "Manage webhooks and inspect their deliveries."),
        reason ? h("div", { class: "alert alert-info", role: "status" }, reason) : null,
        errors,
        form,
      ),
    ),
  );
  input.focus();
}
