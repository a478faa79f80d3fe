/**
 * @module The only writer of `application/problem+json` (RFC 9457): domain
 * errors, zod failures, Hono's HTTP exceptions, unknown routes and, last, any
 * unexpected error as a logged, generic 500 that echoes nothing.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { ApiError, unprocessable } from "../lib/errors";
import { describeError, jsonLogger } from "../lib/log";
import type { Problem } from "./common";

const TYPE_BASE = "https://hookrelay.dev/problems/";

const TYPES: Record<number, string> = {
  400: "malformed-request",
  401: "unauthorized",
  403: "forbidden",
  404: "not-found",
  405: "method-not-allowed",
  409: "conflict",
  413: "payload-too-large",
  415: "unsupported-media-type",
  422: "validation-failed",
  429: "rate-limited",
  500: "internal-error",
  503: "not-configured",
};

/** The problem object of an error, for a response or for one item of a batch. */
export function problemOf(error: ApiError): Problem {
  return {
    type: TYPE_BASE + (error.kind ?? TYPES[error.status] ?? "error"),
    title: error.title,
    status: error.status,
    detail: error.message,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

export function problemResponse(error: ApiError): Response {
  const body = problemOf(error);
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: { "content-type": "application/problem+json", ...error.headers },
  });
}

/** A zod failure as 422; each error's path names the field (query, path and body alike). */
export function zodProblem(error: ZodError, target: string): ApiError {
  return unprocessable(
    error.issues.map((issue) => ({
      path: issue.path.map(String).join(".") || (target === "json" ? "body" : target),
      message: issue.message,
    })),
  );
}

export function handleError(error: Error, c: Context): Response {
  if (error instanceof ApiError) return problemResponse(error);
  if (error instanceof HTTPException) {
    const status = error.status;
    const title =
      status === 415 ? "Unsupported Media Type" : status === 400 ? "Bad Request" : "Error";
    return problemResponse(new ApiError(status, title, error.message || title));
  }
  // The class and the statement's verb and table, never the message: a
  // driver's message quotes the bound parameters (secrets, key hashes).
  jsonLogger("error", "unhandled error", {
    request_id: c.get("requestId"),
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    ...describeError(error),
  });
  return problemResponse(
    new ApiError(500, "Internal Server Error", "An unexpected error occurred."),
  );
}

export function handleNotFound(c: Context): Response {
  return problemResponse(
    new ApiError(404, "Not Found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`),
  );
}
