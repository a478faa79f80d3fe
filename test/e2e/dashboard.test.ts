/**
 * The dashboard in a real browser (a system Chromium, else the one from
 * @sparticuz/chromium; see test/helpers/browser.ts) through playwright-core
 * against the relay as `npm start` runs it, with a loopback receiver: sign
 * in, create an application and a webhook, send a test, see it delivered,
 * make one fail, retry it, and the rest of what a person does there.
 * Screenshots go to test/artifacts/dashboard/.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildDashboard } from "../../scripts/build-dashboard.mjs";
import { launchChromium } from "../helpers/browser";
import { eventually } from "../helpers/eventually";
import type { Hook } from "../helpers/hooks";
import { useRelay } from "../helpers/rig";

const ARTIFACTS = join(import.meta.dirname, "..", "artifacts", "dashboard");
const WAIT = { timeout: 30_000 };

const rig = useRelay();
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // The relay serves public/ as it is: make sure it holds this dashboard/.
  await buildDashboard();
  const launched = await launchChromium();
  browser = launched.browser;
  // Which browser ran, for whoever checks that the packaged one works without a system one.
  const version = browser.version();
  writeFileSync(join(ARTIFACTS, "browser.json"), JSON.stringify({ ...launched.source, version }));
});

afterAll(async () => {
  await browser?.close();
});

type Session = {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught exceptions and CSP violations seen so far. */
  problems: string[];
  /** Every URL the page requested. */
  urls: string[];
  /** The Authorization header of every API call. */
  authorizations: string[];
};

async function openSession(
  viewport = { width: 1280, height: 900 },
  url = `${rig.relay.url}/`,
): Promise<Session> {
  const context = await browser.newContext({ viewport, colorScheme: "light", locale: "en-US" });
  const page = await context.newPage();
  const session: Session = { context, page, problems: [], urls: [], authorizations: [] };
  page.on("console", (message) => {
    // A failed call's status is shown in the page; the browser logging it too is expected.
    if (message.type() === "error" && !/status of (401|403|404|409|422)/.test(message.text()))
      session.problems.push(message.text());
  });
  page.on("pageerror", (error) => session.problems.push(error.message));
  page.on("request", (request) => {
    session.urls.push(request.url());
    if (new URL(request.url()).pathname.startsWith("/v1/"))
      session.authorizations.push(request.headers().authorization ?? "");
  });
  await page.goto(url);
  return session;
}

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  // The picture shows the page itself: no toast, no hover.
  await page.evaluate(() => document.getElementById("toasts")?.replaceChildren());
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The page is no wider than the screen: nothing to scroll sideways on a phone. */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

describe("dashboard", () => {
  test("/ serves the dashboard with a strict CSP; the API keeps its routes and its 404s", async () => {
    const page = await fetch(`${rig.relay.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    const script = await fetch(`${rig.relay.url}/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect((await fetch(`${rig.relay.url}/v1/health`)).status).toBe(200);
    expect((await fetch(`${rig.relay.url}/openapi.json`)).status).toBe(200);
    const unknown = await fetch(`${rig.relay.url}/no-such-page`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
  });

  test("sign in, create an application and a webhook, send a test, fail one and retry it", async () => {
    const hook: Hook = rig.hook();
    await hook.script({ otherwise: { status: 200, body: '{"received":true}' } });
    const session = await openSession();
    const { page } = session;

    // Sign in: a wrong token shows the API's own words, the right one gets in.
    await page.getByRole("heading", { name: "Sign in to hookrelay" }).waitFor();
    await shot(page, "01-sign-in");
    await signIn(page, "not-the-token");
    await page.getByRole("alert").getByText("The token is not valid.").waitFor();
    await signIn(page, rig.relay.token);
    await page.getByRole("heading", { name: "Applications", exact: true }).waitFor();
    await page.getByText("No applications yet").waitFor();

    // An application.
    await page.getByRole("button", { name: "New application" }).click();
    const appDialog = page.getByRole("dialog", { name: "New application" });
    await appDialog.getByLabel("Name").fill("Acme Payments");
    await appDialog.getByLabel("UID").fill("acme-payments");
    await appDialog.getByRole("button", { name: "Create application" }).click();
    await page.getByRole("heading", { name: "Acme Payments" }).waitFor();
    await page.getByText("No webhooks yet").waitFor();
    const apps = await rig.api.call("GET", "/v1/applications");
    const app = apps.body.data.find((a: { uid: string }) => a.uid === "acme-payments");
    expect(app).toMatchObject({ name: "Acme Payments", webhook_limit: 10 });

    // A webhook: a refused URL shows the 422 detail in the form, then a good one.
    await page.getByRole("button", { name: "New webhook" }).click();
    const hookDialog = page.getByRole("dialog", { name: "New webhook" });
    await hookDialog.getByLabel("URL").fill("ftp://example.com/hooks");
    await hookDialog.getByRole("button", { name: "Create webhook" }).click();
    await hookDialog.getByRole("alert").getByText("url: url must use https").waitFor();
    await hookDialog.getByLabel("URL").fill(hook.url);
    await hookDialog.getByLabel("Name").fill("Orders");
    await hookDialog.getByLabel("Event types").fill("order.created, order.paid");
    await hookDialog.getByLabel("Retry policy").selectOption("fixed");
    // By role: only the inputs of the chosen policy are visible.
    await hookDialog.getByRole("spinbutton", { name: "Interval (seconds)" }).fill("60");
    await hookDialog.getByRole("spinbutton", { name: "Attempts in all" }).fill("3");
    await hookDialog.getByLabel("Headers").fill("x-env: test\nx-team: payments");
    await shot(page, "02-new-webhook", false);
    await hookDialog.getByRole("button", { name: "Create webhook" }).click();
    await page.getByRole("heading", { name: "Orders" }).waitFor();
    const hooks = await rig.api.call("GET", `/v1/webhooks?application_id=${app.id}`);
    expect(hooks.body.data).toHaveLength(1);
    const webhook = hooks.body.data[0];
    expect(webhook).toMatchObject({
      url: hook.url,
      name: "Orders",
      event_types: ["order.created", "order.paid"],
      retry_policy: { strategy: "fixed", interval_seconds: 60, max_attempts: 3 },
      headers: { "x-env": "test", "x-team": "payments" },
      ordering: "none",
      enabled: true,
    });
    await page.getByText("No deliveries yet").waitFor();

    // Send a test: it arrives, and the list shows it delivered.
    const events = page.locator("#events-table tbody tr");
    await page.getByRole("button", { name: "Send a test" }).click();
    await events.and(page.locator('[data-status="success"]')).first().waitFor(WAIT);
    const [delivered] = (await hook.received()).requests;
    expect(JSON.parse(delivered!.body)).toMatchObject({ type: "TEST_EVENT" });
    expect(delivered!.headers["x-env"]).toBe("test");

    // Make one fail: the receiver answers 500, the test event fails (a test is one attempt).
    await hook.script({ otherwise: { status: 500, body: '{"error":"database unavailable"}' } });
    await page.getByRole("button", { name: "Send a test" }).click();
    const failed = events.and(page.locator('[data-status="failed"]'));
    await failed.first().waitFor(WAIT);
    expect(await events.count()).toBe(2);

    // Its detail: the attempt with its status and response, and the payload.
    await failed.first().click();
    await page.getByRole("heading", { name: "TEST_EVENT" }).waitFor();
    const attempts = page.locator("#attempts > li");
    await attempts.first().waitFor();
    expect(await attempts.count()).toBe(1);
    expect(await attempts.first().locator(".code").textContent()).toBe("500");
    expect(await attempts.first().locator("pre").textContent()).toContain("database unavailable");
    await page.locator("#payload").getByText('"type": "TEST_EVENT"').waitFor();
    expect(await page.locator("#payload").textContent()).toContain(webhook.id);
    await shot(page, "03-event-failed");

    // Retry it once the receiver is healthy again: a second attempt, delivered.
    await hook.script({ otherwise: { status: 200, body: '{"received":true}' } });
    await page.getByRole("button", { name: "Retry now" }).click();
    await page.locator('.page-head [data-status="success"]').waitFor(WAIT);
    await attempts.nth(1).waitFor(WAIT);
    expect(await attempts.count()).toBe(2);
    expect(await attempts.nth(1).locator(".code").textContent()).toBe("200");
    await shot(page, "04-event-retried");
    expect((await hook.received()).requests).toHaveLength(3);

    // Back to the webhook: both delivered; a status filter with no match says so.
    await page.locator("#crumbs").getByRole("link", { name: "Orders" }).click();
    await events.first().waitFor();
    await expectCount(page.locator('#events-table tbody tr[data-status="success"]'), 2);
    await page.getByLabel("Delivery status").selectOption("failed");
    await page.getByText("No events match these filters").waitFor();
    expect(page.url()).toContain("status=failed");
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expectCount(events, 2);
    await page.getByLabel("Event type").fill("TEST_EVENT");
    await page.getByRole("button", { name: "Filter", exact: true }).click();
    await expectCount(events, 2);
    await page.getByLabel("Event type").fill("order.created");
    await page.getByRole("button", { name: "Filter", exact: true }).click();
    await page.getByText("No events match these filters").waitFor();
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expectCount(events, 2);

    // The signing secret: revealed as the API has it, then rotated.
    const secretCard = page.locator("#secret-card");
    await secretCard.getByRole("button", { name: "Reveal" }).click();
    const before = (await rig.api.call("GET", `/v1/webhooks/${webhook.id}/secret`)).body.secret;
    await secretCard.getByText(before).waitFor();
    await secretCard.getByRole("button", { name: "Rotate" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Rotate secret" }).click();
    await secretCard.getByText("The previous secret also signs until").waitFor();
    const after = (await rig.api.call("GET", `/v1/webhooks/${webhook.id}/secret`)).body.secret;
    expect(after).not.toBe(before);
    expect(await secretCard.locator("#secret-value").textContent()).toBe(after);
    await secretCard.getByRole("button", { name: "Hide" }).click();

    // Edit, disable, enable.
    await page.getByRole("button", { name: "Edit" }).click();
    const editDialog = page.getByRole("dialog", { name: "Edit webhook" });
    expect(await editDialog.getByLabel("Headers").inputValue()).toBe(
      "x-env: test\nx-team: payments",
    );
    await editDialog.getByLabel("Name").fill("Orders (live)");
    // Signatures and two-way TLS: no certificate is bound locally, so only "None".
    await editDialog.getByText("Advanced delivery settings").click();
    await editDialog.getByLabel("Signature scheme").selectOption("v1+v1a");
    expect(await editDialog.getByLabel("Client certificate").inputValue()).toBe("");
    await editDialog.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("heading", { name: "Orders (live)" }).waitFor();
    const keyed = (await rig.api.call("GET", `/v1/webhooks/${webhook.id}`)).body;
    expect(keyed).toMatchObject({ signature_scheme: "v1+v1a", tls_client_certificate: null });
    expect(await page.locator("#public-key").textContent()).toBe(keyed.public_key);
    expect(await page.locator("#jwks-link").textContent()).toBe(
      `${rig.relay.url}/v1/webhooks/${webhook.id}/jwks`,
    );
    await page.getByText("v1 and v1a: HMAC-SHA256 and Ed25519").waitFor();
    await page.getByRole("button", { name: "Disable" }).click();
    await page.locator(".page-head .badge-disabled").waitFor();
    expect(await page.getByRole("button", { name: "Send a test" }).isDisabled()).toBe(true);
    expect((await rig.api.call("GET", `/v1/webhooks/${webhook.id}`)).body).toMatchObject({
      name: "Orders (live)",
      enabled: false,
      disabled_reason: "manual",
      retry_policy: { strategy: "fixed", interval_seconds: 60, max_attempts: 3 },
    });
    await page.getByRole("button", { name: "Enable" }).click();
    await page.locator(".page-head .badge-enabled").waitFor();

    // Recover: nothing failed is left in the window.
    await page.getByRole("button", { name: "Recover failed events" }).click();
    await page.getByText("No failed events in that window.").waitFor();

    // Some traffic for the chart and the pictures: deliveries, two retrying, one failed.
    await hook.script({
      responses: [{ status: 200 }, { status: 200 }, { status: 500 }, { status: 200 }],
      otherwise: { status: 200 },
    });
    for (let i = 0; i < 4; i++) await rig.api.publish(app.id, "order.created", { order: 1000 + i });
    await waitUntilSettled(webhook.id, 6);
    await hook.script({ responses: [{ status: 503 }], otherwise: { status: 200 } });
    for (let i = 0; i < 3; i++) await rig.api.publish(app.id, "order.paid", { order: 1000 + i });
    await waitUntilSettled(webhook.id, 9);
    await hook.script({ otherwise: { status: 502, body: "Bad Gateway" } });
    await page.getByRole("button", { name: "Send a test" }).click();
    await waitUntilSettled(webhook.id, 10);
    await hook.script({ otherwise: { status: 200 } });
    await page.locator("#events-card").getByRole("button", { name: "Refresh" }).click();
    await expectCount(events, 10);
    await expectCount(page.locator('#events-table tbody tr[data-status="retrying"]'), 2);
    await expectCount(page.locator('#events-table tbody tr[data-status="failed"]'), 1);
    // The chart adds up the webhook's hourly rollups: its legend shows the API's totals.
    const stats = (await rig.api.call("GET", `/v1/webhooks/${webhook.id}/stats`)).body;
    const total = (status: string) =>
      (stats.hourly as Record<string, number>[]).reduce((n, hour) => n + hour[status]!, 0);
    expect(total("success")).toBeGreaterThanOrEqual(7);
    expect(total("retrying")).toBeGreaterThanOrEqual(2);
    expect(total("failed")).toBeGreaterThanOrEqual(1);
    const legend = page.locator(".chart-legend");
    for (const status of ["success", "retrying", "failed"]) {
      await legend
        .locator(`[data-status="${status}"] strong`)
        .getByText(String(total(status)), { exact: true })
        .waitFor();
    }
    await page.locator(".chart-svg .chart-success").first().waitFor();
    await shot(page, "05-webhook");

    // The application's list shows each webhook's health at a glance.
    await page.locator("#crumbs").getByRole("link", { name: "Acme Payments" }).click();
    const card = page.locator(`[data-webhook-id="${webhook.id}"]`);
    await card.locator(".last-delivery").waitFor();
    await card.locator(".rate").waitFor();
    await shot(page, "06-application");

    // A phone-sized screen: same pages, nothing to scroll sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await card.getByRole("link").click();
    await events.first().waitFor();
    await page.locator(".chart-svg").waitFor();
    await expectNoSidewaysScroll(page);
    await shot(page, "07-phone-webhook");
    await events.and(page.locator('[data-status="failed"]')).first().click();
    await page.locator("#attempts > li").first().waitFor();
    await expectNoSidewaysScroll(page);
    await shot(page, "08-phone-event");
    await page.setViewportSize({ width: 1280, height: 900 });

    // Delete: confirmed, and the application is empty again.
    await page.locator("#crumbs").getByRole("link", { name: "Orders (live)" }).click();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete webhook" }).click();
    await page.getByText("No webhooks yet").waitFor();
    expect((await rig.api.call("GET", `/v1/webhooks/${webhook.id}`)).status).toBe(404);

    // The token went only into Authorization headers and sessionStorage, and is gone on sign out.
    expect(session.authorizations.length).toBeGreaterThan(10);
    expect(
      session.authorizations.every((value) =>
        ["Bearer not-the-token", `Bearer ${rig.relay.token}`].includes(value),
      ),
    ).toBe(true);
    expect(session.urls.some((url) => url.includes(rig.relay.token))).toBe(false);
    expect(
      await page.evaluate(() => ({ local: localStorage.length, cookies: document.cookie })),
    ).toEqual({ local: 0, cookies: "" });
    expect(await page.evaluate(() => sessionStorage.getItem("hookrelay.token"))).toBe(rig.relay.token);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to hookrelay" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    expect(session.problems).toEqual([]);
    await session.context.close();
  });

  test("the payload filter: edited as JSON, tested beside the box, refused at its path, saved", async () => {
    const app = await rig.api.call("POST", "/v1/applications", { name: "Filter Co" });
    const hook = await rig.api.call("POST", "/v1/webhooks", {
      application_id: app.body.id,
      url: rig.hook().url,
    });
    const session = await openSession();
    const { page } = session;
    await signIn(page, rig.relay.token);
    await page.goto(`${rig.relay.url}/#/webhooks/${hook.body.id}`);
    await page.getByRole("button", { name: "Edit" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit webhook" });
    const filter = dialog.getByLabel("Payload filter");
    const result = dialog.locator(".filter-result");

    await filter.fill('{"payload.amount": {"$gte": 1000}, "payload.currency": "NGN"}');
    await dialog.getByLabel("Test event type").fill("charge.success");
    await dialog.getByLabel("Test payload").fill('{"amount": 5000, "currency": "NGN"}');
    await dialog.getByRole("button", { name: "Test filter" }).click();
    await result.getByText("Matches").waitFor();
    await dialog.getByLabel("Test payload").fill('{"amount": 50, "currency": "NGN"}');
    await dialog.getByRole("button", { name: "Test filter" }).click();
    await result.getByText("Does not match").waitFor();
    // A mistake is named at its path before anything is sent.
    await filter.fill('{"payload.amount": {"$gte": true}}');
    await dialog.getByRole("button", { name: "Test filter" }).click();
    await result.getByText("payload.amount.$gte").waitFor();
    await shot(page, "09-filter-editor", false);

    await filter.fill('{"payload.amount": {"$gte": 1000}}');
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await page.getByText('{"payload.amount":{"$gte":1000}}').waitFor();
    expect((await rig.api.call("GET", `/v1/webhooks/${hook.body.id}`)).body.filter).toEqual({
      "payload.amount": { $gte: 1000 },
    });
    const tested = await rig.api.call("POST", `/v1/webhooks/${hook.body.id}/filter/test`, {
      event_type: "x",
      payload: { amount: 999 },
    });
    expect(tested.body).toEqual({ matches: false });

    expect(session.problems).toEqual([]);
    await session.context.close();
  });

  test("a confined key sees only its application; what its scope refuses is said in the page", async () => {
    const mine = await rig.api.call("POST", "/v1/applications", { name: "Visible Co" });
    const theirs = await rig.api.call("POST", "/v1/applications", { name: "Hidden Co" });
    const key = await rig.api.call("POST", "/v1/api-keys", {
      name: "dashboard reader",
      scope: "reader",
      application_id: mine.body.id,
    });
    expect(key.status).toBe(201);
    const session = await openSession();
    const { page } = session;
    await signIn(page, key.body.key);
    await page.locator(`tr[data-application-id="${mine.body.id}"]`).waitFor();
    expect(await page.locator(`tr[data-application-id="${theirs.body.id}"]`).count()).toBe(0);
    expect(await page.getByText("Hidden Co").count()).toBe(0);

    // A reader may not create: the API's refusal shows in the dialog, and nothing is created.
    await page.getByRole("button", { name: "New application" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill("Not allowed");
    await dialog.getByRole("button", { name: "Create application" }).click();
    await dialog.getByRole("alert").getByText(/may not/).waitFor();
    const all = await rig.api.call("GET", "/v1/applications?limit=100");
    expect(all.body.data.map((a: { name: string }) => a.name)).not.toContain("Not allowed");

    // Storage is for operators: the page says so.
    await page.keyboard.press("Escape");
    await page.locator("#sections").getByRole("link", { name: "Storage" }).click();
    await page.getByRole("alert").getByText(/admin token or an unconfined admin key/).waitFor();

    expect(session.problems).toEqual([]);
    await session.context.close();
  });

  test("a portal link opens one application, keeps the token out of the address bar, and says when it is revoked or expired", async () => {
    const mine = (await rig.api.call("POST", "/v1/applications", { name: "Portal Co" })).body;
    const theirs = (await rig.api.call("POST", "/v1/applications", { name: "Elsewhere Co" })).body;
    const hook = rig.hook();
    await hook.script({ otherwise: { status: 200 } });
    const ours = await rig.api.call("POST", "/v1/webhooks", {
      application_id: mine.id,
      url: hook.url,
      name: "Portal orders",
    });
    const other = await rig.api.call("POST", "/v1/webhooks", {
      application_id: theirs.id,
      url: rig.hook().url,
    });
    await rig.api.publish(mine.id, "order.created", { order: 1 });
    await waitUntilSettled(ours.body.id, 1);
    const link = await rig.api.call("POST", `/v1/applications/${mine.id}/portal-links`, {
      ttl_seconds: 600,
    });
    expect(link.status).toBe(201);
    const token = new URL(link.body.url).hash.replace("#token=", "");

    // A fresh browser context, opened at the link itself.
    const session = await openSession(undefined, link.body.url);
    const { page } = session;
    await page.getByRole("heading", { name: "Portal Co" }).waitFor();
    await page.locator(`[data-webhook-id="${ours.body.id}"] .last-delivery`).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/applications/${mine.id}`);
    expect(page.url()).not.toContain(token);
    expect(await page.evaluate(() => sessionStorage.getItem("hookrelay.token"))).toBe(token);
    // One application, and no way out of it: no list to go back to, no sign-out.
    expect(await page.locator("#crumbs").getByRole("link", { name: "Applications" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);
    await page.locator("#portal-badge").waitFor();
    await shot(page, "10-portal");

    // Its webhook opens; editing the address to reach another application does not.
    await page.locator(`[data-webhook-id="${ours.body.id}"]`).getByRole("link").click();
    await page.getByRole("heading", { name: "Portal orders" }).waitFor();
    expect(await page.locator("#crumbs").textContent()).toBe("Portal CoPortal orders");
    for (const hash of ["#/", `#/applications/${theirs.id}`, "#/no-such-page"]) {
      await page.goto(`${rig.relay.url}/${hash}`);
      await page.getByRole("heading", { name: "Portal Co" }).waitFor();
      expect(new URL(page.url()).hash).toBe(`#/applications/${mine.id}`);
    }
    await page.goto(`${rig.relay.url}/#/webhooks/${other.body.id}`);
    await page.getByRole("alert").getByText("Webhook not found.").waitFor();
    expect(await page.getByText("Elsewhere Co").count()).toBe(0);

    // The operator sees the live link where they look at the application, and revokes it there.
    const operator = await openSession();
    await signIn(operator.page, rig.relay.token);
    await operator.page.goto(`${rig.relay.url}/#/applications/${mine.id}`);
    const row = operator.page.locator(`#portal-links-table [data-portal-link-id="${link.body.id}"]`);
    await row.waitFor();
    expect(await row.textContent()).not.toContain(token);
    await row.getByRole("button", { name: "Revoke" }).click();
    await operator.page.getByRole("dialog").getByRole("button", { name: "Revoke link" }).click();
    await operator.page.getByText("No live portal links").waitFor();
    expect((await rig.api.call("GET", `/v1/applications/${mine.id}/portal-links`)).body.data).toEqual([]);
    expect(operator.problems).toEqual([]);
    await operator.context.close();

    // Revoked: the next call says so plainly, with no sign-in form to try instead.
    await page.goto(`${rig.relay.url}/#/applications/${mine.id}`);
    await page.getByRole("heading", { name: "This link has expired or was revoked" }).waitFor();
    await page.getByText("The token is not valid.").waitFor();
    expect(await page.getByLabel("Token").count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.getItem("hookrelay.token"))).toBeNull();
    await page.reload();
    await page.getByRole("heading", { name: "This link has expired or was revoked" }).waitFor();
    await shot(page, "11-portal-revoked");

    // The token went only into Authorization headers, never into a request's URL.
    expect(session.authorizations.every((value) => value === `Bearer ${token}`)).toBe(true);
    expect(session.urls.filter((url) => url.includes(token) && url !== link.body.url)).toEqual([]);
    expect(session.problems).toEqual([]);
    await session.context.close();

    // Expired: a link made by a key that expires in two seconds expires with it.
    const shortKey = await rig.api.call("POST", "/v1/api-keys", {
      name: "short-lived",
      scope: "admin",
      application_id: mine.id,
      expires_at: new Date(Date.now() + 2000).toISOString(),
    });
    const short = await fetch(`${rig.relay.url}/v1/applications/${mine.id}/portal-links`, {
      method: "POST",
      headers: { authorization: `Bearer ${shortKey.body.key}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(short.status).toBe(201);
    const shortLink = (await short.json()) as { url: string; expires_at: string };
    // Until the relay itself refuses the link's token: it has expired.
    const shortToken = new URL(shortLink.url).hash.replace("#token=", "");
    await eventually(async () => {
      const res = await fetch(`${rig.relay.url}/v1/applications/${mine.id}`, {
        headers: { authorization: `Bearer ${shortToken}` },
      });
      await res.body?.cancel();
      expect(res.status).toBe(401);
    });
    const late = await openSession(undefined, shortLink.url);
    await late.page.getByRole("heading", { name: "This link has expired or was revoked" }).waitFor();
    await late.page.getByText("This portal link has expired.").waitFor();
    expect(new URL(late.page.url()).hash).toBe("#/");
    expect(late.problems).toEqual([]);
    await late.context.close();
  });

  test("the replay panel counts the matching events before anything is sent, then shows progress", async () => {
    const app = (await rig.api.call("POST", "/v1/applications", { name: "Replay Co" })).body;
    const hook = rig.hook();
    await hook.script({ otherwise: { status: 500 } });
    const webhook = (
      await rig.api.call("POST", "/v1/webhooks", {
        application_id: app.id,
        url: hook.url,
        name: "Ledger",
        retry_policy: { schedule_seconds: [] },
      })
    ).body;
    // Three created and two paid fail, one refund between them succeeds: never
    // five failures in a row, so the circuit stays closed and the replay goes at once.
    for (let i = 0; i < 3; i++) await rig.api.publish(app.id, "order.created", { order: i });
    await waitUntilSettled(webhook.id, 3);
    await hook.script({ responses: [{ status: 200 }], otherwise: { status: 500 } });
    await rig.api.publish(app.id, "order.refunded", { order: 0 });
    await waitUntilSettled(webhook.id, 4);
    for (let i = 0; i < 2; i++) await rig.api.publish(app.id, "order.paid", { order: i });
    await waitUntilSettled(webhook.id, 6);
    await hook.script({ otherwise: { status: 200 } });
    const listed = await rig.api.call("GET", `/v1/events?webhook_id=${webhook.id}&limit=100`);
    const created = new Set(
      (listed.body.data as { id: string; type: string }[])
        .filter((e) => e.type === "order.created")
        .map((e) => e.id),
    );

    const session = await openSession();
    const { page } = session;
    await signIn(page, rig.relay.token);
    await page.getByRole("heading", { name: "Applications", exact: true }).waitFor();
    await page.goto(`${rig.relay.url}/#/webhooks/${webhook.id}`);
    const panel = page.locator("#replay-card");
    await panel.waitFor();
    await panel.getByLabel("success").uncheck();
    await panel.getByLabel("Types").fill("order.created");
    await panel.getByLabel("Last HTTP status").fill("500");
    await panel.getByRole("button", { name: "Count matching events" }).click();
    await panel.locator("#replay-matched").getByText("3 events match").waitFor();
    // Counted, not sent.
    expect((await hook.received()).requests).toHaveLength(6);
    await panel.scrollIntoViewIfNeeded();
    await page.mouse.move(0, 0);
    await panel.screenshot({ path: join(ARTIFACTS, "12-replay-count.png") });

    // Changing a filter withdraws the count: what is confirmed is what was counted.
    await panel.getByLabel("Last HTTP status").fill("502");
    expect(await panel.getByRole("button", { name: /^Replay/ }).count()).toBe(0);
    await panel.getByLabel("Last HTTP status").fill("500");
    await panel.getByRole("button", { name: "Count matching events" }).click();
    await panel.getByRole("button", { name: "Replay 3 events" }).click();
    await panel.locator('#replay-progress[data-status="done"]').waitFor(WAIT);
    expect(await panel.locator("#replay-progress").textContent()).toContain("3 of 3");
    await panel.screenshot({ path: join(ARTIFACTS, "13-replay-done.png") });

    // Exactly those three got one more attempt.
    const again = await eventually(async () => {
      const more = (await hook.received()).requests.slice(6).map((r) => r.headers["webhook-id"]!);
      expect(more.length).toBeGreaterThanOrEqual(3);
      return more;
    });
    expect(new Set(again)).toEqual(created);
    expect(again).toHaveLength(3);

    expect(session.problems).toEqual([]);
    await session.context.close();
  });

  test("the event catalog: read by everyone, written by operators, and offered when choosing a webhook's event types", async () => {
    const paid = {
      name: "order.paid",
      description: "An order was paid in full.",
      schema: {
        type: "object",
        required: ["order_id", "amount"],
        properties: { order_id: { type: "string" }, amount: { type: "integer", minimum: 1 } },
      },
      example: { order_id: "ord_123", amount: 1000 },
    };
    expect((await rig.api.call("POST", "/v1/event-types", paid)).status).toBe(201);
    const legacy = { name: "order.settled", description: "Replaced by order.paid.", deprecated: true };
    expect((await rig.api.call("POST", "/v1/event-types", legacy)).status).toBe(201);
    const doomed = { name: "order.misnamed", description: "Created by mistake." };
    expect((await rig.api.call("POST", "/v1/event-types", doomed)).status).toBe(201);

    // The operator reaches the catalog from the top bar: each type with its description, badges, example and schema.
    const session = await openSession();
    const { page } = session;
    await signIn(page, rig.relay.token);
    await page.getByRole("heading", { name: "Applications", exact: true }).waitFor();
    await page.locator("#sections").getByRole("link", { name: "Event catalog" }).click();
    await page.getByRole("heading", { name: "Event catalog" }).waitFor();
    expect(new URL(page.url()).hash).toBe("#/event-types");
    const item = (name: string) => page.locator(`#event-types [data-event-type="${name}"]`);
    await item("order.paid").getByText(paid.description).waitFor();
    expect(await item("order.paid").locator(".badge-deprecated").count()).toBe(0);
    expect(await item("order.paid").locator(".chip").textContent()).toBe("Schema");
    await item("order.settled").locator(".badge-deprecated").getByText("Deprecated").waitFor();
    expect(await item("order.settled").locator(".chip").textContent()).toBe("No schema");
    expect(await item("order.settled").locator("details").count()).toBe(0);
    await item("order.paid").locator('[data-kind="example"] summary').click();
    const example = item("order.paid").locator('[data-kind="example"] pre');
    expect(JSON.parse((await example.textContent())!)).toEqual(paid.example);
    await item("order.paid").locator('[data-kind="schema"] summary').click();
    const schema = item("order.paid").locator('[data-kind="schema"] pre');
    expect(JSON.parse((await schema.textContent())!)).toEqual(paid.schema);
    // By name, as a customer scans for the type it wants.
    const names = await page.locator("#event-types .catalog-name").allTextContents();
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, "en")));

    // An operator creates one: an example its schema refuses is named under the example, then a good one.
    await page.getByRole("button", { name: "New event type" }).click();
    const dialog = page.getByRole("dialog", { name: "New event type" });
    await dialog.getByLabel("Name").fill("refund.issued");
    await dialog.getByLabel("Description").fill("A refund left for the customer's account.");
    await dialog
      .getByLabel("Schema")
      .fill('{"type": "object", "required": ["refund_id"], "properties": {"refund_id": {"type": "string"}}}');
    await dialog.getByLabel("Example").fill('{"refund_id": 42}');
    await dialog.getByRole("button", { name: "Create event type" }).click();
    await dialog.locator(".field-error").getByText("example.refund_id").waitFor();
    expect((await rig.api.call("GET", "/v1/event-types/refund.issued")).status).toBe(404);
    await dialog.getByLabel("Example").fill("{not json");
    await dialog.getByRole("button", { name: "Create event type" }).click();
    await dialog.getByRole("alert").getByText("Example: not valid JSON").waitFor();
    await dialog.getByLabel("Example").fill('{"refund_id": "rf_1"}');
    await dialog.getByRole("button", { name: "Create event type" }).click();
    await item("refund.issued").getByText("A refund left for the customer's account.").waitFor();
    expect((await rig.api.call("GET", "/v1/event-types/refund.issued")).body).toMatchObject({
      description: "A refund left for the customer's account.",
      schema: { required: ["refund_id"] },
      example: { refund_id: "rf_1" },
      deprecated: false,
    });

    // Edited (deprecated now), and one deleted.
    await item("order.settled").getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("dialog", { name: "Edit order.settled" });
    expect(await edit.getByLabel(/Deprecated/).isChecked()).toBe(true);
    await edit.getByLabel("Description").fill("Replaced by order.paid; sent until June.");
    await edit.getByRole("button", { name: "Save changes" }).click();
    await item("order.settled").getByText("sent until June").waitFor();
    expect((await rig.api.call("GET", "/v1/event-types/order.settled")).body).toMatchObject({
      description: "Replaced by order.paid; sent until June.",
      deprecated: true,
    });
    await item("order.misnamed").getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete event type" }).click();
    await expectCount(item("order.misnamed"), 0);
    expect((await rig.api.call("GET", "/v1/event-types/order.misnamed")).status).toBe(404);
    await item("order.paid").locator('[data-kind="example"] pre').waitFor();
    await shot(page, "14-event-catalog");

    // A webhook's event types, picked from the catalog (deprecated ones marked) beside a type typed by hand.
    const app = (await rig.api.call("POST", "/v1/applications", { name: "Catalog Co" })).body;
    await page.goto(`${rig.relay.url}/#/applications/${app.id}`);
    await page.getByRole("button", { name: "New webhook" }).click();
    const form = page.getByRole("dialog", { name: "New webhook" });
    const option = (name: string) => form.locator(`.type-option[data-event-type="${name}"]`);
    await option("order.paid").waitFor();
    await option("order.settled").locator(".badge-deprecated").waitFor();
    expect(await option("order.paid").locator(".badge-deprecated").count()).toBe(0);
    expect(await option("order.misnamed").count()).toBe(0);
    await form.getByLabel("URL").fill(rig.hook().url);
    await form.getByLabel("Name").fill("Payments");
    await option("order.paid").getByRole("checkbox").check();
    const typed = form.getByLabel("Event types");
    expect(await typed.inputValue()).toBe("order.paid");
    await typed.fill("order.paid, partner.custom");
    await option("refund.issued").getByRole("checkbox").check();
    expect(await typed.inputValue()).toBe("order.paid, partner.custom, refund.issued");
    await shot(page, "15-webhook-event-types", false);
    await form.getByRole("button", { name: "Create webhook" }).click();
    await page.getByRole("heading", { name: "Payments" }).waitFor();
    const saved = (await rig.api.call("GET", `/v1/webhooks?application_id=${app.id}`)).body.data[0];
    expect(saved.event_types).toEqual(["order.paid", "partner.custom", "refund.issued"]);
    const settings = page.locator(".settings");
    for (const type of saved.event_types) await settings.locator(".chip").getByText(type, { exact: true }).waitFor();

    // Edited: the boxes show what the webhook has; typing a catalogued name ticks it; unticking drops one.
    await page.getByRole("button", { name: "Edit" }).click();
    const again = page.getByRole("dialog", { name: "Edit webhook" });
    const box = (name: string) => again.locator(`.type-option[data-event-type="${name}"]`).getByRole("checkbox");
    await box("order.paid").waitFor();
    expect(await box("order.paid").isChecked()).toBe(true);
    expect(await box("refund.issued").isChecked()).toBe(true);
    expect(await box("order.settled").isChecked()).toBe(false);
    await again.getByLabel("Event types").fill("order.paid, partner.custom, refund.issued, order.settled");
    expect(await box("order.settled").isChecked()).toBe(true);
    await box("order.paid").uncheck();
    expect(await again.getByLabel("Event types").inputValue()).toBe("partner.custom, refund.issued, order.settled");
    await again.getByRole("button", { name: "Save changes" }).click();
    await settings.locator(".chip").getByText("order.settled", { exact: true }).waitFor();
    expect((await rig.api.call("GET", `/v1/webhooks/${saved.id}`)).body.event_types).toEqual([
      "partner.custom",
      "refund.issued",
      "order.settled",
    ]);
    expect(await settings.locator(".chip").getByText("order.paid", { exact: true }).count()).toBe(0);
    expect(session.problems).toEqual([]);
    await session.context.close();

    // A portal link reads the catalog from its own top bar, read-only, and stays on it.
    const link = (await rig.api.call("POST", `/v1/applications/${app.id}/portal-links`, {})).body;
    const portal = await openSession(undefined, link.url);
    await portal.page.getByRole("heading", { name: "Catalog Co" }).waitFor();
    await portal.page.locator("#sections").getByRole("link", { name: "Event catalog" }).click();
    await portal.page.getByRole("heading", { name: "Event catalog" }).waitFor();
    const portalItem = portal.page.locator('#event-types [data-event-type="order.paid"]');
    await portalItem.getByText(paid.description).waitFor();
    await portal.page.locator('#event-types [data-event-type="order.settled"] .badge-deprecated').waitFor();
    await portalItem.locator('[data-kind="example"] summary').click();
    await portalItem.locator('[data-kind="example"] pre').getByText('"order_id": "ord_123"').waitFor();
    expect(new URL(portal.page.url()).hash).toBe("#/event-types");
    expect(await portal.page.getByRole("button", { name: "New event type" }).count()).toBe(0);
    expect(await portal.page.getByRole("button", { name: /^(Edit|Delete)$/ }).count()).toBe(0);
    expect(await portal.page.locator("#crumbs").textContent()).toBe("Catalog CoEvent catalog");
    await shot(portal.page, "16-portal-event-catalog");
    // Its own webhook's form offers the catalog too.
    await portal.page.locator("#crumbs").getByRole("link", { name: "Catalog Co" }).click();
    await portal.page.locator(`[data-webhook-id="${saved.id}"]`).getByRole("link").click();
    await portal.page.getByRole("button", { name: "Edit" }).click();
    const portalBox = portal.page
      .getByRole("dialog", { name: "Edit webhook" })
      .locator('.type-option[data-event-type="refund.issued"]')
      .getByRole("checkbox");
    await portalBox.waitFor();
    expect(await portalBox.isChecked()).toBe(true);
    expect(portal.problems).toEqual([]);
    await portal.context.close();

    // An admin key confined to one application is no operator: read-only too.
    const confined = await rig.api.call("POST", "/v1/api-keys", {
      name: "one customer's admin",
      scope: "admin",
      application_id: app.id,
    });
    // A longer catalog gets a box that narrows it by name or description.
    for (const name of ["payout.sent", "payout.failed", "customer.created", "customer.deleted", "card.expired"])
      expect((await rig.api.call("POST", "/v1/event-types", { name })).status).toBe(201);
    const keyed = await openSession();
    await signIn(keyed.page, confined.body.key);
    await keyed.page.locator("#sections").getByRole("link", { name: "Event catalog" }).click();
    await keyed.page.locator('#event-types [data-event-type="refund.issued"]').waitFor();
    await keyed.page.getByText("Read-only").waitFor();
    expect(await keyed.page.getByRole("button", { name: "New event type" }).count()).toBe(0);
    expect(await keyed.page.getByRole("button", { name: /^(Edit|Delete)$/ }).count()).toBe(0);
    const shown = keyed.page.locator("#event-types .catalog-item:visible .catalog-name");
    await expectCount(shown, 8);
    await keyed.page.getByLabel("Find a type").fill("payout");
    expect(await shown.allTextContents()).toEqual(["payout.failed", "payout.sent"]);
    await keyed.page.getByLabel("Find a type").fill("CUSTOMER'S ACCOUNT");
    expect(await shown.allTextContents()).toEqual(["refund.issued"]);
    await keyed.page.getByLabel("Find a type").fill("no.such.type");
    await keyed.page.getByText("No event type matches.").waitFor();
    expect(await shown.count()).toBe(0);
    expect(keyed.problems).toEqual([]);
    await keyed.context.close();
  });

  test("with RELAY_REQUIRE_EVENT_TYPES on, a type typed by hand that the catalog lacks is refused under the box", async () => {
    await rig.restart({ RELAY_REQUIRE_EVENT_TYPES: "true" });
    try {
      expect((await rig.api.call("POST", "/v1/event-types", { name: "invoice.paid" })).status).toBe(201);
      const app = (await rig.api.call("POST", "/v1/applications", { name: "Strict Co" })).body;
      const session = await openSession();
      const { page } = session;
      await signIn(page, rig.relay.token);
      await page.getByRole("heading", { name: "Applications", exact: true }).waitFor();
      await page.goto(`${rig.relay.url}/#/applications/${app.id}`);
      await page.getByRole("button", { name: "New webhook" }).click();
      const form = page.getByRole("dialog", { name: "New webhook" });
      await form.getByLabel("URL").fill(rig.hook().url);
      await form.locator('.type-option[data-event-type="invoice.paid"]').getByRole("checkbox").check();
      const typed = form.getByLabel("Event types");
      await typed.fill(`${await typed.inputValue()}, invoice.unknown`);
      await form.getByRole("button", { name: "Create webhook" }).click();
      await form.locator(".field-error").getByText('event_types.1: "invoice.unknown" is not in the event catalog').waitFor();
      expect((await rig.api.call("GET", `/v1/webhooks?application_id=${app.id}`)).body.data).toEqual([]);
      // Edited, the box loses its error; a type the catalog lists is accepted.
      await typed.fill("invoice.paid");
      expect(await form.locator(".field-error").count()).toBe(0);
      await form.getByRole("button", { name: "Create webhook" }).click();
      await page.locator(".settings .chip").getByText("invoice.paid", { exact: true }).waitFor();
      const [saved] = (await rig.api.call("GET", `/v1/webhooks?application_id=${app.id}`)).body.data;
      expect(saved.event_types).toEqual(["invoice.paid"]);
      expect(session.problems).toEqual([]);
      await session.context.close();
    } finally {
      await rig.restart({});
    }
  });

  test("empty lists, unknown pages and a revoked token are shown plainly", async () => {
    const session = await openSession({ width: 390, height: 844 });
    const { page } = session;
    await signIn(page, rig.relay.token);
    await page.getByRole("heading", { name: "Applications", exact: true }).waitFor();
    await expectNoSidewaysScroll(page);

    // An application with no webhooks, and a webhook with no deliveries.
    const created = await rig.api.call("POST", "/v1/applications", { name: "Empty Co" });
    await page.goto(`${rig.relay.url}/#/applications/${created.body.id}`);
    await page.getByText("No webhooks yet").waitFor();
    const hook = await rig.api.call("POST", "/v1/webhooks", {
      application_id: created.body.id,
      url: rig.hook().url,
    });
    await page.goto(`${rig.relay.url}/#/webhooks/${hook.body.id}`);
    await page.getByText("No deliveries yet").waitFor();
    await page.locator(".chart-svg").getByText("No deliveries in the last 24 hours").waitFor();
    await expectNoSidewaysScroll(page);
    await shot(page, "09-phone-empty-webhook");

    // The event catalog, from the top bar.
    await page.locator("#sections").getByRole("link", { name: "Event catalog" }).click();
    await page.getByRole("heading", { name: "Event catalog" }).waitFor();
    await page.locator(".catalog-item, .empty").first().waitFor();
    await expectNoSidewaysScroll(page);
    await shot(page, "17-phone-event-catalog");

    // Storage, from the top bar: each history shard against its limit, and the archive.
    await page.locator("#sections").getByRole("link", { name: "Storage" }).click();
    await page.getByRole("heading", { name: "Storage" }).waitFor();
    expect(await page.locator("#storage-shards tbody tr code").allTextContents()).toEqual(["HISTORY_0", "HISTORY_1"]);
    await page.locator("#storage-archive").getByText("Objects").waitFor();
    await expectNoSidewaysScroll(page);
    await shot(page, "18-phone-storage");

    // Something that does not exist: the API's 404 detail, not a blank page.
    await page.goto(`${rig.relay.url}/#/webhooks/01936d3c-5d3e-7c41-9a7e-2f1c3b2a1d00`);
    await page.getByRole("alert").getByText("Could not load this page").waitFor();
    await page.getByRole("alert").getByText("Webhook not found.").waitFor();

    // A token that stops working ends the session with the reason.
    await page.evaluate(() => sessionStorage.setItem("hookrelay.token", "revoked-token"));
    await page.goto(`${rig.relay.url}/#/`);
    await page.getByRole("heading", { name: "Sign in to hookrelay" }).waitFor();
    await page.getByText("The token is not valid. Sign in again.").waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    expect(session.problems).toEqual([]);
    await session.context.close();
  });
});

async function expectCount(locator: ReturnType<Page["locator"]>, n: number): Promise<void> {
  await eventually(async () => expect(await locator.count()).toBe(n));
}

/** Waits until the webhook has `n` events and none is still pending (first attempts made). */
async function waitUntilSettled(webhookId: string, n: number): Promise<void> {
  await eventually(async () => {
    const res = await rig.api.call("GET", `/v1/events?webhook_id=${webhookId}&limit=100`);
    const list = res.body.data as { delivery_status: string; delivery_attempts: number }[];
    expect(list).toHaveLength(n);
    expect(list.filter((e) => e.delivery_attempts === 0)).toEqual([]);
  });
}
