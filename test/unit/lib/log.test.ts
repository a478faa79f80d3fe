import { describe, expect, test } from "vitest";
import { describeError } from "../../../src/lib/log";

/** A stand-in for drizzle's DrizzleQueryError: the message quotes every parameter. */
class DrizzleQueryError extends Error {
  constructor(
    readonly query: string,
    readonly params: unknown[],
    cause: unknown,
  ) {
    super(`Failed query: ${query}\nparams: ${params.join(",")}`, { cause });
  }
}

const SECRET = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY";

describe("describeError", () => {
  test("a failed query: class, constraint code, verb and table; no message, no parameters", () => {
    const error = new DrizzleQueryError(
      'insert into "webhooks" ("id", "secret") values (?, ?) returning "id"',
      ["0193…", SECRET],
      new Error("D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT"),
    );
    const described = describeError(error);
    expect(described).toEqual({
      error_class: "DrizzleQueryError",
      error_code: "SQLITE_CONSTRAINT_FOREIGNKEY",
      operation: "insert webhooks",
    });
    expect(JSON.stringify(described)).not.toContain("whsec_");
  });

  test("unique constraints, other statements, codes and things that are not errors", () => {
    const unique = new DrizzleQueryError(
      'update "applications" set "uid" = ? where "applications"."id" = ?',
      ["taken", "x"],
      new Error("D1_ERROR: UNIQUE constraint failed: applications.uid: SQLITE_CONSTRAINT"),
    );
    expect(describeError(unique)).toMatchObject({
      error_code: "SQLITE_CONSTRAINT_UNIQUE",
      operation: "update applications",
    });
    const select = new DrizzleQueryError('select "id" from "events" where "x" = ?', [SECRET], undefined);
    expect(describeError(select)).toEqual({ error_class: "DrizzleQueryError", operation: "select events" });
    const coded = Object.assign(new TypeError(`fetch failed for ${SECRET}`), { code: "ECONNRESET" });
    expect(describeError(coded)).toEqual({ error_class: "TypeError", error_code: "ECONNRESET" });
    // A message is never a source, even when it looks like a code.
    expect(describeError(new Error(`SQLITE_${SECRET}`))).toEqual({ error_class: "Error" });
    expect(describeError(SECRET)).toEqual({ error_class: "string" });
    expect(describeError(Object.assign(new Error("x"), { code: SECRET }))).toEqual({ error_class: "Error" });
  });
});
