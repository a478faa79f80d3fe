/** @module The client's one error: an RFC 9457 problem the relay answered, typed as the API documents it. */
import type { components } from "./schema.js";

export type Problem = components["schemas"]["Problem"];

/**
 * A non-2xx answer. `problem` is the relay's problem+json body (`status`,
 * `title`, `detail`, and `errors` naming each refused field on a 422);
 * `requestId` is the `x-request-id` the relay logged the call under.
 */
export class HookrelayError extends Error {
  override readonly name = "HookrelayError";
  readonly status: number;
  readonly problem: Problem;
  readonly requestId: string | null;
  /** Seconds the relay asked to wait (429 and 503), when it said. */
  readonly retryAfterSeconds: number | null;

  constructor(response: Response, body: unknown) {
    const problem = toProblem(response, body);
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.status = response.status;
    this.problem = problem;
    this.requestId = response.headers.get("x-request-id");
    const retryAfter = Number(response.headers.get("retry-after"));
    this.retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null;
  }
}

function isProblem(body: unknown): body is Problem {
  if (body === null || typeof body !== "object") return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.type === "string" &&
    typeof b.status === "number" &&
    typeof b.title === "string" &&
    typeof b.detail === "string"
  );
}

/** The body as a problem; a proxy's HTML error page becomes one that says what came back. */
function toProblem(response: Response, body: unknown): Problem {
  if (isProblem(body)) return body;
  return {
    type: "about:blank",
    title: response.statusText || "Error",
    status: response.status,
    detail: typeof body === "string" && body ? body.slice(0, 200) : "No problem details in the answer",
  };
}
