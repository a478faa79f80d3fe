/**
 * @module The dashboard's shell: who is signed in, which view the hash names,
 * the breadcrumb and the sign-out button. Views live in ./views/.
 */
import { type ApiError, createClient } from "./api";
import { byId, h, replace } from "./dom";
import { forgetToken, parseRoute, readToken } from "./state";
import { errorBox, spinner } from "./ui";
import { renderApplication } from "./views/application";
import { renderApplications } from "./views/applications";
import type { Crumb, ViewContext } from "./views/context";
import { renderEvent } from "./views/event";
import { renderSignIn } from "./views/sign-in";
import { renderWebhook } from "./views/webhook";

let generation = 0;
let cleanups: (() => void)[] = [];
/** Why the last session ended, shown once on the sign-in form. */
let signedOutBecause: string | null = null;

function leaveView(): void {
  for (const cleanup of cleanups.splice(0)) {
    try {
      cleanup();
    } catch {
      // A cleanup that fails must not keep the next view from rendering.
    }
  }
  for (const dialog of document.querySelectorAll("dialog")) dialog.remove();
}

function setCrumbs(crumbs: Crumb[]): void {
  const nav = byId("crumbs");
  const items = crumbs.map((crumb, index) => {
    const last = index === crumbs.length - 1;
    return h(
      "li",
      {},
      crumb.href && !last
        ? h("a", { href: crumb.href }, crumb.label)
        : h("span", { "aria-current": last ? "page" : undefined }, crumb.label),
    );
  });
  replace(nav, crumbs.length > 0 ? h("ol", {}, items) : null);
}

function renderSession(signedIn: boolean): void {
  const session = byId("session");
  replace(
    session,
    signedIn
      ? h(
          "button",
          {
            type: "button",
            class: "btn btn-ghost btn-small",
            on: {
              click: () => {
                forgetToken();
                signedOutBecause = null;
                location.hash = "#/";
                route();
              },
            },
          },
          "Sign out",
        )
      : null,
  );
}

function endSession(error: ApiError): void {
  forgetToken();
  signedOutBecause = `${error.detail} Sign in again.`;
  route();
}

async function route(): Promise<void> {
  leaveView();
  const current = ++generation;
  const main = byId("main");
  const token = readToken();
  renderSession(token !== null);
  if (token === null) {
    setCrumbs([]);
    const reason = signedOutBecause;
    signedOutBecause = null;
    renderSignIn(main, reason, () => route());
    return;
  }
  const context: ViewContext = {
    client: createClient(token, endSession),
    main,
    setCrumbs,
    isCurrent: () => current === generation,
    onLeave: (cleanup) => cleanups.push(cleanup),
  };
  const target = parseRoute(location.hash);
  replace(main, spinner());
  try {
    switch (target.view) {
      case "applications":
        await renderApplications(context);
        break;
      case "application":
        await renderApplication(context, target.applicationId);
        break;
      case "webhook":
        await renderWebhook(context, target.webhookId, target.query);
        break;
      case "event":
        await renderEvent(context, target.webhookId, target.eventId);
        break;
      case "not-found":
        setCrumbs([{ label: "Applications", href: "#/" }]);
        replace(
          main,
          h(
            "div",
            { class: "page" },
            errorBox(new Error(`Nothing lives at ${target.hash}.`), "Page not found"),
            h("p", {}, h("a", { href: "#/" }, "Back to applications")),
          ),
        );
        break;
    }
  } catch (error) {
    // A 401 already ended the session and re-rendered the sign-in form.
    if (current !== generation || readToken() === null) return;
    replace(
      main,
      h(
        "div",
        { class: "page" },
        errorBox(error, "Could not load this page"),
        h(
          "p",
          { class: "row" },
          h("a", { class: "btn btn-secondary", href: "#/" }, "Applications"),
          h(
            "button",
            { type: "button", class: "btn btn-secondary", on: { click: () => route() } },
            "Try again",
          ),
        ),
      ),
    );
  }
  if (current === generation) main.focus({ preventScroll: true });
}

window.addEventListener("hashchange", () => {
  window.scrollTo(0, 0);
  route();
});
cleanups = [];
route();
