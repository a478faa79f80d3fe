/** fast-check arbitraries for JSON source text, shared by unit and integration tests. */
import fc from "fast-check";

/** The numbers of issue #17 and their kin: each is changed by JSON.parse + JSON.stringify. */
export const ALTERED_NUMBERS = [
  "12345678901234567890123",
  "9007199254740993",
  "1e400",
  "-1E+400",
  "1e-400",
  "-0",
  "-0.0",
  "0.1000000000000000000000001",
];

const generatedNumberText = fc
  .tuple(
    fc.boolean(),
    fc.oneof(fc.constant("0"), fc.stringMatching(/^[1-9][0-9]{0,40}$/)),
    fc.option(fc.stringMatching(/^[0-9]{1,40}$/), { nil: undefined }),
    fc.option(
      fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), fc.stringMatching(/^[0-9]{1,4}$/)),
      { nil: undefined },
    ),
  )
  .map(
    ([negative, int, fraction, exponent]) =>
      `${negative ? "-" : ""}${int}${fraction === undefined ? "" : `.${fraction}`}${exponent ? exponent.join("") : ""}`,
  );

/** Number texts as JSON allows them, many beyond what a double holds exactly. */
export const numberText = fc.oneof(fc.constantFrom(...ALTERED_NUMBERS), generatedNumberText);
