/** @module The package's entry: the client, its error, webhook verification and the generated types. */
export * from "./client.js";
export * from "./errors.js";
export * from "./webhooks.js";
export type { components, operations, paths } from "./schema.js";
