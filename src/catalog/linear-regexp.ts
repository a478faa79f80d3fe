/**
 * @module Regular expressions of event type schemas (`pattern`,
 * `patternProperties`), matched in time linear in the input. Workers have no
 * regex timeout, and JavaScript's backtracking engine takes exponential time
 * on patterns such as `^(a+)+$`: one publish could hold an isolate for
 * minutes. RE2 (re2js, a port of Go's regexp) has no backtracking; what it
 * cannot match in linear time (lookaround, backreferences) it refuses to
 * compile, and a schema that uses it is refused when it is written.
 *
 * Deviations from ECMA-262 that follow: `\s` is ASCII whitespace only, and
 * `.` matches everything but `\n`.
 */
import { RE2JS } from "re2js";

/** A pattern compiled for linear-time matching, or the reason it cannot be. */
export function compileLinear(pattern: string): RE2JS | string {
  try {
    return RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Runs `validate` with the global `RegExp` answering from `compiled`.
 * @cfworker/json-schema builds `new RegExp(pattern, "u")` for each `pattern`
 * and `patternProperties` it applies and only calls `.test()` on it; there
 * is no other way to give it an engine. Validation is synchronous, so
 * nothing else runs while the global is swapped, and `finally` puts it back.
 * Regex literals (the library's own `format` checks) keep the built-in engine.
 */
export function withLinearRegExp<T>(compiled: ReadonlyMap<string, RE2JS>, validate: () => T): T {
  class LinearRegExp {
    private readonly re: RE2JS;

    constructor(source: string) {
      // Not among the schema's patterns: `format: "regex"` checking a payload string.
      const re = compiled.get(source) ?? compileLinear(source);
      if (typeof re === "string") throw new SyntaxError(re);
      this.re = re;
    }

    test(input: string): boolean {
      return this.re.test(input);
    }
  }
  const builtIn = globalThis.RegExp;
  globalThis.RegExp = LinearRegExp as unknown as RegExpConstructor;
  try {
    return validate();
  } finally {
    globalThis.RegExp = builtIn;
  }
}
