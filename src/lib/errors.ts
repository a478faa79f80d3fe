/**
 * @module Domain errors. Handlers and services throw these; `api/problem.ts` is
 * the only place that turns them into `application/problem+json`.
 */

/**
 * One problem with the input: `path` names the field (dotted, as every 422
 * does); `pointer` is set where the problem lies inside a JSON document the
 * client sent (a payload against its event type's schema, a schema itself),
 * as an RFC 6901 JSON Pointer into that document.
 */
export type FieldError = { path: string; message: string; pointer?: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
    /** The problem's type, where its status alone does not say it (api/problem.ts). */
    readonly kind?: string,
  ) {
    super(detail);
  }
}

export const badRequest = (detail: string) => new ApiError(400, "Bad Request", detail);
export const unauthorized = (detail: string) => new ApiError(401, "Unauthorized", detail);
export const forbidden = (detail: string) => new ApiError(403, "Forbidden", detail);
export const notFound = (detail: string) => new ApiError(404, "Not Found", detail);
export const conflict = (detail: string) => new ApiError(409, "Conflict", detail);
export const payloadTooLarge = (detail: string) => new ApiError(413, "Payload Too Large", detail);
export const unsupportedMediaType = (detail: string) =>
  new ApiError(415, "Unsupported Media Type", detail);
export const unprocessable = (errors: FieldError[]) =>
  new ApiError(
    422,
    "Unprocessable Content",
    errors.map((e) => `${e.path || "body"}: ${e.message}`).join("; "),
    errors,
  );
export const tooManyRequests = (detail: string, retryAfterSeconds: number) =>
  new ApiError(429, "Too Many Requests", detail, undefined, {
    "retry-after": String(retryAfterSeconds),
  });
export const notConfigured = (detail: string) => new ApiError(503, "Service Unavailable", detail);
