/**
 * @module The dashboard's shell: who is signed in, which view the hash names,
 * the breadcrumb and the sign-out button. Views live in ./views/.
 */
import type { HookrelayError } from "../../clients/typescript/src/errors";
import { connect } from "./connection";
import { byId, h, replace } from "./dom";
import {
  adoptLinkToken,
  forgetToken,
  hrefFor,
  type Portal,
  parseRoute,
  type Route,
  readPortal,
  readToken,
  savePortal,
} from "./state";
import { errorBox, spinner } from "./ui";
import { renderApplication } from "./views/application";
import { renderApplications } from "./views/applications";
import type { Crumb, ViewContext } from "./views/context";
import { renderEvent } from "./views/event";
import { renderEventTypes } from "./views/event-types";
import { renderStorage } from "./views/storage";
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

function setCrumbs(all: Crumb[]): void {
  const nav = byId("crumbs");
  // A portal shows one application: no way back to a list of them.
  const crumbs = readPortal() ? all.filter((crumb) => crumb.href !== "#/") : all;
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

/**
 * The sections beside the breadcrumb: the event catalog, for everyone
 * signed in, portal links included; storage, for a session of the provider
 * (it answers operators only, and says so to anyone else).
 */
function renderSections(signedIn: boolean, current: Route): void {
  const link = (view: "event-types" | "storage", label: string) =>
    h("a", { href: hrefFor({ view }), "aria-current": current.view === view ? "page" : undefined }, label);
  replace(
    byId("sections"),
    signedIn ? [link("event-types", "Event catalog"), readPortal() ? null : link("storage", "Storage")] : null,
  );
}

function renderSession(signedIn: boolean, portal: Portal | null): void {
  const session = byId("session");
  if (portal) {
    // Nothing to sign out to: the link is the only way in.
    replace(session, h("span", { class: "chip chip-muted", id: "portal-badge" }, "Portal"));
    return;
  }
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

function endSession(error: HookrelayError): void {
  forgetToken();
  const portal = readPortal();
  if (portal) savePortal({ ...portal, ended: error.problem.detail });
  else signedOutBecause = `${error.problem.detail} Sign in again.`;
  route();
}

/** A portal link that expired or was revoked: said plainly, with no form to try another way in. */
function renderPortalEnded(main: HTMLElement, detail: string): void {
  replace(
    main,
    h(
      "div",
      { class: "signin" },
      h(
        "div",
        { class: "signin-card", id: "portal-ended" },
        h("h1", {}, "This link has expired or was revoked"),
        h("div", { class: "alert alert-info", role: "status" }, detail),
        h(
          "p",
          { class: "muted" },
          "Ask whoever sent you this link for a new one.",
        ),
      ),
    ),
  );
}

/** The portal's application: its id, asked of the API once (the link's key sees only it). */
async function portalApplication(context: ViewContext, portal: Portal): Promise<string> {
  if (portal.applicationId) return portal.applicationId;
  const { data } = await context.client.applications.list({ limit: 1 });
  const applicationId = data[0]?.id;
  if (!applicationId) throw new Error("This link's application no longer exists.");
  savePortal({ ...portal, applicationId });
  return applicationId;
}

async function route(): Promise<void> {
  leaveView();
  const current = ++generation;
  const main = byId("main");
  const token = readToken();
  const portal = readPortal();
  renderSession(token !== null, portal);
  renderSections(token !== null, parseRoute(location.hash));
  if (token === null) {
    setCrumbs([]);
    if (portal?.ended) {
      renderPortalEnded(main, portal.ended);
      return;
    }
    const reason = signedOutBecause;
    signedOutBecause = null;
    renderSignIn(main, reason, () => route());
    return;
  }
  const context: ViewContext = {
    client: connect(token, endSession),
    main,
    setCrumbs,
    isCurrent: () => current === generation,
    onLeave: (cleanup) => cleanups.push(cleanup),
  };
  let target = parseRoute(location.hash);
  replace(main, spinner());
  try {
    if (portal) {
      // Only the portal's application and what lies under it, and the event
      // catalog (the provider's, shown to its customers); the API refuses the
      // rest anyway (404), this keeps the list of applications out of view.
      const applicationId = await portalApplication(context, portal);
      if (!context.isCurrent()) return;
      if (
        target.view === "applications" ||
        target.view === "not-found" ||
        (target.view === "application" && target.applicationId !== applicationId)
      ) {
        target = { view: "application", applicationId };
        history.replaceState(null, "", hrefFor(target));
      }
    }
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
      case "event-types":
        await renderEventTypes(context);
        break;
      case "storage":
        await renderStorage(context);
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
  // A link pasted into a tab that has the dashboard open already.
  adoptLinkToken();
  route();
});
cleanups = [];
adoptLinkToken();
route();
