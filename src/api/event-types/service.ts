/**
 * @module The event catalog, free of HTTP. The catalog is the provider's and
 * relay-wide: anyone signed in reads it (customers see it in the portal,
 * publishers learn what to send), and only an operator — the admin token or
 * an admin key confined to no application — writes it, since a change
 * reaches every application's publishes and webhooks (SPEC §4, §7.8).
 */
import { rememberEventType } from "../../catalog/catalog";
import { compileSchema, payloadProblems } from "../../catalog/json-schema";
import { RELAY_EVENT_TYPES } from "../../catalog/relay-types";
import { constraintViolated } from "../../db/errors";
import {
  deleteEventType,
  getEventType,
  insertEventType,
  listEventTypes,
  updateEventType,
} from "../../db/queries/event-types";
import type { EventTypeRow } from "../../db/schema";
import type { Deps } from "../../deps";
import { conflict, notFound, unprocessable } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { toRfc3339 } from "../../lib/time";
import { type Principal, requireOperator } from "../../security/principal";
import type { CreateEventTypeInput, UpdateEventTypeInput } from "./schemas";

/** A JSON value as stored: its text, or null for none (absent, or null). */
function textOf(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/**
 * Throws 422 unless `schema` is a schema this relay can apply and `example`
 * matches it. Both are judged as they will be stored (their JSON text read
 * back), so what is judged is what is kept.
 */
function requireConsistent(schema: string | null, example: string | null): void {
  if (schema === null) return;
  const compiled = compileSchema(schema);
  if (Array.isArray(compiled)) throw unprocessable(compiled);
  if (example === null) return;
  const problems = payloadProblems(compiled, JSON.parse(example), "example");
  if (problems.length > 0) throw unprocessable(problems);
}

function typeConflict(name: string) {
  return conflict(`An event type named "${name}" exists already.`);
}

export async function createEventType(
  deps: Deps,
  principal: Principal,
  input: CreateEventTypeInput,
): Promise<EventTypeRow> {
  requireOperator(principal);
  if (RELAY_EVENT_TYPES.has(input.name)) {
    throw unprocessable([{ path: "name", message: "is one of the relay's own event types" }]);
  }
  const schema = textOf(input.schema);
  const example = textOf(input.example);
  requireConsistent(schema, example);
  if (await getEventType(deps.db, input.name)) throw typeConflict(input.name);
  const now = toRfc3339(deps.now());
  let row: EventTypeRow;
  try {
    row = await insertEventType(deps.db, {
      id: uuidv7(),
      name: input.name,
      description: input.description ?? null,
      schema,
      example,
      deprecated: input.deprecated,
      createdAt: now,
      updatedAt: now,
    });
  } catch (error) {
    // Lost a race to the same name: the unique index is the guard.
    if (constraintViolated(error) === "unique") throw typeConflict(input.name);
    throw error;
  }
  rememberEventType(row.name, row);
  return row;
}

/** Any signed-in caller may read the catalog. */
export async function findEventType(deps: Deps, name: string): Promise<EventTypeRow> {
  const row = await getEventType(deps.db, name);
  if (!row) throw notFound("Event type not found.");
  return row;
}

export async function changeEventType(
  deps: Deps,
  principal: Principal,
  name: string,
  input: UpdateEventTypeInput,
): Promise<EventTypeRow> {
  requireOperator(principal);
  const row = await findEventType(deps, name);
  const schema = input.schema !== undefined ? textOf(input.schema) : row.schema;
  const example = input.example !== undefined ? textOf(input.example) : row.example;
  // The pair as it will be: a new schema must accept the kept example, and the reverse.
  requireConsistent(schema, example);
  const updated = await updateEventType(deps.db, name, {
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.deprecated !== undefined ? { deprecated: input.deprecated } : {}),
    schema,
    example,
    updatedAt: toRfc3339(deps.now()),
  });
  if (!updated) throw notFound("Event type not found.");
  rememberEventType(name, updated);
  return updated;
}

/** Deletes the type: publishing it is then as for any unknown type. Webhooks that name it keep it. */
export async function removeEventType(
  deps: Deps,
  principal: Principal,
  name: string,
): Promise<EventTypeRow> {
  requireOperator(principal);
  const row = await findEventType(deps, name);
  if (!(await deleteEventType(deps.db, name))) throw notFound("Event type not found.");
  rememberEventType(name, null);
  return row;
}

export async function pageEventTypes(deps: Deps, before: string | undefined, limit: number) {
  return listEventTypes(deps.db, { before, limit: limit + 1 });
}
