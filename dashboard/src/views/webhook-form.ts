/**
 * @module Creating and editing a webhook: URL, name, event types (typed, or
 * picked from the event catalog), payload filter (with a test beside it),
 * retry policy, static headers, ordering and the advanced delivery settings.
 * The API validates; its 422 field errors are shown under the matching inputs.
 */
import type {
  Application,
  CreateWebhook,
  RetryPolicy,
  Webhook,
} from "../../../clients/typescript/src/client";
import { WEBHOOK_DEFAULTS } from "../../../src/api/webhooks/defaults";
import type { Filter } from "../../../src/delivery/filter";
import { h } from "../dom";
import { matchesFilter } from "../../../src/delivery/filter";
import { parseFilter, parseHeaders, parseSchedule } from "../form-parsers";
import { navigate } from "../state";
import { field, formDialog, toast } from "../ui";
import type { ViewContext } from "./context";
import { eventTypePicker } from "./event-type-picker";

/** The API's own default (SPEC §5): what a new webhook gets when the form leaves it. */
const DEFAULT_RETRY_POLICY = WEBHOOK_DEFAULTS.retry_policy;
/** The webhook settings the form sends, on create and on update. */
type WebhookInput = Omit<CreateWebhook, "application_id" | "secret">;
type Ordering = NonNullable<WebhookInput["ordering"]>;
type PayloadFormat = NonNullable<WebhookInput["payload_format"]>;

type PolicyKind = "default" | "none" | "schedule" | "fixed" | "exponential";

function policyKind(policy: RetryPolicy | undefined): PolicyKind {
  if (!policy) return "default";
  if ("schedule_seconds" in policy) {
    if (policy.schedule_seconds.length === 0) return "none";
    const isDefault = JSON.stringify(policy) === JSON.stringify(DEFAULT_RETRY_POLICY);
    return isDefault ? "default" : "schedule";
  }
  return policy.strategy;
}

function numberInput(name: string, value: number | string, extra: Record<string, string> = {}) {
  return h("input", { name, type: "number", inputmode: "numeric", value: String(value), ...extra });
}

function select(name: string, options: [string, string][], value: string, path = name) {
  return h(
    "select",
    { name, "data-path": path },
    options.map(([option, label]) =>
      h("option", { value: option, selected: option === value }, label),
    ),
  );
}

function readNumber(input: HTMLInputElement, label: string): number {
  const value = Number(input.value);
  if (input.value.trim() === "" || !Number.isFinite(value))
    throw new Error(`${label}: enter a number.`);
  return value;
}

type Section<T> = { element: HTMLElement; read(): T };

/** The retry policy: a select, and the inputs of the form it names. */
function retryPolicySection(existing: RetryPolicy | undefined): Section<RetryPolicy> & {
  isDefault(): boolean;
} {
  const policy = existing ?? DEFAULT_RETRY_POLICY;
  const kind = policyKind(existing);
  const choice = select(
    "policy",
    [
      ["default", "Default: 8 attempts over about 28 hours"],
      ["none", "No retries: one attempt"],
      ["schedule", "Custom schedule"],
      ["fixed", "Fixed interval"],
      ["exponential", "Exponential backoff"],
    ],
    kind,
    "retry_policy",
  );
  const schedule = h("input", {
    name: "schedule",
    value:
      "schedule_seconds" in policy && kind === "schedule"
        ? policy.schedule_seconds.join(", ")
        : "5, 60, 300",
    "data-path": "retry_policy",
    autocomplete: "off",
  });
  const fixed = "strategy" in policy && policy.strategy === "fixed" ? policy : null;
  const exp = "strategy" in policy && policy.strategy === "exponential" ? policy : null;
  const interval = numberInput("interval_seconds", fixed?.interval_seconds ?? 3600, { min: "1" });
  const fixedAttempts = numberInput("fixed_max_attempts", fixed?.max_attempts ?? 73, {
    min: "1",
    max: "1000",
  });
  const initial = numberInput("initial_interval_seconds", exp?.initial_interval_seconds ?? 30, {
    min: "1",
  });
  const multiplier = numberInput("multiplier", exp?.multiplier ?? 2, {
    min: "1",
    max: "100",
    step: "0.1",
  });
  const longest = numberInput("max_interval_seconds", exp?.max_interval_seconds ?? 21_600, {
    min: "1",
  });
  const expAttempts = numberInput("exp_max_attempts", exp?.max_attempts ?? 12, {
    min: "1",
    max: "1000",
  });
  const hint = (text: string) => h("p", { class: "hint policy-panel" }, text);
  const panels: Record<PolicyKind, HTMLElement> = {
    default: hint("Retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h."),
    none: hint(
      "A failed delivery is not retried by itself; retry it by hand or recover it later.",
    ),
    schedule: h(
      "div",
      { class: "policy-panel" },
      field(
        "Delays before each retry (seconds)",
        schedule,
        "Comma-separated, e.g. 5, 60, 300: three retries, four attempts in all.",
      ),
    ),
    fixed: h(
      "div",
      { class: "policy-panel grid-2" },
      field("Interval (seconds)", interval),
      field("Attempts in all", fixedAttempts),
    ),
    exponential: h(
      "div",
      { class: "policy-panel grid-2" },
      field("First interval (seconds)", initial),
      field("Multiplier", multiplier),
      field("Longest interval (seconds)", longest),
      field("Attempts in all", expAttempts),
    ),
  };
  const show = () => {
    for (const [key, panel] of Object.entries(panels)) panel.hidden = key !== choice.value;
  };
  choice.addEventListener("change", show);
  show();

  return {
    element: h(
      "fieldset",
      { class: "fieldset" },
      h("legend", {}, "Retries"),
      field("Retry policy", choice),
      Object.values(panels),
    ),
    isDefault: () => choice.value === "default",
    read(): RetryPolicy {
      switch (choice.value as PolicyKind) {
        case "default":
          return DEFAULT_RETRY_POLICY;
        case "none":
          return { schedule_seconds: [] };
        case "schedule":
          return { schedule_seconds: parseSchedule(schedule.value) };
        case "fixed":
          return {
            strategy: "fixed",
            interval_seconds: readNumber(interval, "Interval"),
            max_attempts: readNumber(fixedAttempts, "Attempts"),
          };
        case "exponential":
          return {
            strategy: "exponential",
            initial_interval_seconds: readNumber(initial, "First interval"),
            multiplier: readNumber(multiplier, "Multiplier"),
            max_interval_seconds: readNumber(longest, "Longest interval"),
            max_attempts: readNumber(expAttempts, "Attempts"),
          };
      }
    },
  };
}

type Advanced = Pick<
  WebhookInput,
  | "payload_format"
  | "timeout_ms"
  | "max_in_flight"
  | "rate_limit_per_second"
  | "signature_scheme"
  | "tls_client_certificate"
>;
type SignatureScheme = NonNullable<WebhookInput["signature_scheme"]>;

/**
 * The relay's mTLS certificate bindings, filled in once the list arrives; the
 * webhook's own choice stays selectable even if the list cannot be read.
 */
function certificateSelect(context: ViewContext, current: string | null): HTMLSelectElement {
  const choice = select("tls_client_certificate", [["", "None"]], "");
  const add = (name: string) => {
    if ([...choice.options].some((o) => o.value === name)) return;
    choice.appendChild(h("option", { value: name }, name));
  };
  if (current) add(current);
  choice.value = current ?? "";
  context.client.webhooks
    .tlsClientCertificates()
    .then((list) => list.data.forEach(add))
    .catch(() => {
      // Not an admin key, or none bound: "None" (and the current one) it is.
    });
  return choice;
}

/** Payload format, timeout, concurrency and rate limit; folded unless one is set. */
function advancedSection(
  context: ViewContext,
  existing: Webhook | undefined,
  ordering: HTMLSelectElement,
): Section<Advanced> {
  const scheme = select(
    "signature_scheme",
    [
      ["v1", "v1: HMAC-SHA256 with the secret"],
      ["v1a", "v1a: Ed25519, receivers verify with the public key"],
      ["v1+v1a", "v1+v1a: both (for receivers moving between them)"],
    ],
    existing?.signature_scheme ?? "v1",
  );
  const certificate = certificateSelect(context, existing?.tls_client_certificate ?? null);
  const payloadFormat = select(
    "payload_format",
    [
      ["raw", "Raw: the published payload as is"],
      ["jsonapi", "JSON:API event envelope"],
    ],
    existing?.payload_format ?? WEBHOOK_DEFAULTS.payload_format,
  );
  const timeout = numberInput("timeout_ms", existing?.timeout_ms ?? WEBHOOK_DEFAULTS.timeout_ms, {
    min: "1000",
    max: "30000",
    step: "500",
    "data-path": "timeout_ms",
  });
  const maxInFlight = numberInput("max_in_flight", existing?.max_in_flight ?? WEBHOOK_DEFAULTS.max_in_flight, {
    min: "1",
    max: "100",
    "data-path": "max_in_flight",
  });
  const rateLimit = numberInput("rate_limit_per_second", existing?.rate_limit_per_second ?? "", {
    min: "1",
    max: "10000",
    placeholder: "No limit",
    "data-path": "rate_limit_per_second",
  });
  // FIFO delivers one event at a time; the API forces max_in_flight to 1.
  const syncInFlight = () => {
    const fifo = ordering.value === "fifo";
    maxInFlight.disabled = fifo;
    if (fifo) maxInFlight.value = "1";
  };
  ordering.addEventListener("change", syncInFlight);
  syncInFlight();

  const open =
    !!existing &&
    (existing.payload_format !== WEBHOOK_DEFAULTS.payload_format ||
      existing.timeout_ms !== WEBHOOK_DEFAULTS.timeout_ms ||
      existing.max_in_flight !== WEBHOOK_DEFAULTS.max_in_flight ||
      existing.rate_limit_per_second !== null ||
      existing.signature_scheme !== "v1" ||
      existing.tls_client_certificate !== null);
  return {
    element: h(
      "details",
      { class: "advanced", open },
      h("summary", {}, "Advanced delivery settings"),
      h(
        "div",
        { class: "grid-2" },
        field("Payload format", payloadFormat),
        field("Timeout (ms)", timeout, "1000–30000"),
        field("Deliveries at once", maxInFlight, "1–100; FIFO uses 1"),
        field("Rate limit (per second)", rateLimit, "Empty: no limit"),
        field("Signature scheme", scheme, "Standard Webhooks; v1a keys are made by the relay"),
        field("Client certificate", certificate, "Two-way TLS: presented on every delivery"),
      ),
    ),
    read() {
      const advanced: Advanced = {
        payload_format: payloadFormat.value as PayloadFormat,
        timeout_ms: readNumber(timeout, "Timeout"),
        rate_limit_per_second:
          rateLimit.value.trim() === "" ? null : readNumber(rateLimit, "Rate limit"),
        signature_scheme: scheme.value as SignatureScheme,
        tls_client_certificate: certificate.value || null,
      };
      if (ordering.value !== "fifo")
        advanced.max_in_flight = readNumber(maxInFlight, "Deliveries at once");
      return advanced;
    },
  };
}

/**
 * The payload filter as JSON, with a test beside it: an event type and a
 * payload, judged against the filter as typed (saved or not) by the relay's
 * own evaluator, bundled here, so nothing is stored.
 */
function filterSection(existing: Webhook | undefined): Section<Filter | null> {
  const filter = h("textarea", {
    name: "filter",
    rows: "4",
    placeholder: '{"payload.amount": {"$gte": 1000}}',
    "data-path": "filter",
    spellcheck: "false",
    value: existing?.filter ? JSON.stringify(existing.filter, null, 2) : "",
  });
  const eventType = h("input", {
    name: "filter_test_event_type",
    value: existing?.event_types[0] ?? "",
    placeholder: "charge.success",
    autocomplete: "off",
  });
  const payload = h("textarea", {
    name: "filter_test_payload",
    rows: "3",
    spellcheck: "false",
    placeholder: '{"amount": 5000}',
  });
  const result = h("p", { class: "filter-result", role: "status", "aria-live": "polite" });
  const show = (text: string, ok: boolean | null) => {
    result.textContent = text;
    result.dataset.matches = ok === null ? "" : String(ok);
  };
  const button = h("button", { type: "button", class: "btn btn-secondary btn-small" }, "Test filter");
  button.addEventListener("click", () => {
    try {
      const parsed = parseFilter(filter.value);
      let body: unknown;
      try {
        body = JSON.parse(payload.value || "null");
      } catch {
        throw new Error("Test payload: not valid JSON.");
      }
      const matches = parsed === null || matchesFilter(parsed, { event_type: eventType.value.trim(), payload: body });
      show(matches ? "Matches: this message would be delivered." : "Does not match: this message would be skipped.", matches);
    } catch (error) {
      show((error as Error).message, null);
    }
  });
  return {
    element: h(
      "div",
      { class: "filter-section" },
      field(
        "Payload filter",
        filter,
        "JSON; empty for none. Keys are paths into {event_type, payload}, e.g. payload.items.0.sku; values are literals or $eq $ne $in $nin $gt $gte $lt $lte $exists; combine with $and $or $not.",
      ),
      h(
        "div",
        { class: "filter-test" },
        field("Test event type", eventType),
        field("Test payload", payload),
        h("div", {}, button, result),
      ),
    ),
    read: () => parseFilter(filter.value),
  };
}

export type WebhookFormTarget =
  | { application: Application; webhook?: undefined }
  | { webhook: Webhook; onSaved: (saved: Webhook) => void; application?: undefined };

export function openWebhookForm(context: ViewContext, target: WebhookFormTarget): void {
  const existing = target.webhook;
  const url = h("input", {
    name: "url",
    type: "url",
    required: true,
    value: existing?.url ?? "",
    placeholder: "https://example.com/webhooks",
    "data-path": "url",
    autocomplete: "off",
  });
  const name = h("input", {
    name: "name",
    value: existing?.name ?? "",
    maxlength: "256",
    "data-path": "name",
    autocomplete: "off",
  });
  const eventTypes = eventTypePicker(context, existing?.event_types ?? []);
  const headers = h("textarea", {
    name: "headers",
    rows: "3",
    placeholder: "x-api-version: 2026-01-01",
    "data-path": "headers",
    spellcheck: "false",
    value: Object.entries(existing?.headers ?? {})
      .map(([key, value]) => `${key}: ${value}`)
      .join("\n"),
  });
  const ordering = select(
    "ordering",
    [
      ["none", "Any order (parallel)"],
      ["fifo", "FIFO: one at a time, in publication order"],
    ],
    existing?.ordering ?? "none",
  );
  const retries = retryPolicySection(existing?.retry_policy);
  const filter = filterSection(existing);
  const advanced = advancedSection(context, existing, ordering);

  const read = (): WebhookInput => {
    if (!url.value.trim()) throw new Error("Enter the URL that should receive the events.");
    const input: WebhookInput = {
      url: url.value.trim(),
      name: name.value.trim() || null,
      event_types: eventTypes.read(),
      headers: parseHeaders(headers.value),
      filter: filter.read(),
      ordering: ordering.value as Ordering,
      ...advanced.read(),
    };
    // On create, the default policy is the API's own default: leave it to the API.
    if (existing || !retries.isDefault()) input.retry_policy = retries.read();
    return input;
  };

  formDialog({
    title: existing ? "Edit webhook" : "New webhook",
    submitLabel: existing ? "Save changes" : "Create webhook",
    fields: [
      field("URL", url, "Where events are POSTed. Must be https in production."),
      field("Name", name, "Optional; shown instead of the URL."),
      eventTypes.element,
      filter.element,
      retries.element,
      field("Headers", headers, "Added to every delivery, one “Name: value” per line."),
      field("Ordering", ordering, "FIFO holds later events back while an earlier one is retried."),
      advanced.element,
    ],
    submit: async () => {
      const input = read();
      if (target.webhook) {
        const saved = await context.client.webhooks.update(target.webhook.id, input);
        toast("Webhook saved");
        target.onSaved(saved);
      } else {
        const created = await context.client.webhooks.create({ application_id: target.application.id, ...input });
        toast("Webhook created. Reveal its signing secret on its page.");
        navigate({ view: "webhook", webhookId: created.id, query: {} });
      }
      return true;
    },
  });
  url.focus();
}
