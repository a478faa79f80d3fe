/**
 * @module Constraint failures of D1 statements, told apart by kind so that a
 * service can answer a race as the client's problem (a vanished parent is 404,
 * a taken unique value 409) instead of a 500.
 */
import { describeError } from "../lib/log";

type ConstraintKind = "unique" | "foreign_key";

/** Which constraint a failed statement broke, or null for any other error. */
export function constraintViolated(error: unknown): ConstraintKind | null {
  const code = describeError(error).error_code;
  if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") return "unique";
  if (code === "SQLITE_CONSTRAINT_FOREIGNKEY") return "foreign_key";
  return null;
}
