/**
 * @module The JSON Schema 2020-12 meta-schema, as one document: what an
 * event type's `schema` must be. The published meta-schema spreads its
 * vocabularies over seven documents joined by `$dynamicRef`, which the
 * validator (@cfworker/json-schema) does not resolve; this is the same set
 * of keywords with plain `$ref`s, which is what `$dynamicRef` resolves to for
 * a schema that does not extend the meta-schema. Besides the 2020-12
 * vocabularies (core, applicator, unevaluated, validation, meta-data,
 * format-annotation, content) it keeps `definitions` and `dependencies`, as
 * the published one does for older schemas.
 */
import type { Schema } from "@cfworker/json-schema";

const schema: Schema = { $ref: "#" };
const schemaMap: Schema = { type: "object", additionalProperties: { $ref: "#" } };
const schemaArray: Schema = { $ref: "#/$defs/schemaArray" };
const nonNegativeInteger: Schema = { $ref: "#/$defs/nonNegativeInteger" };
const stringArray: Schema = { $ref: "#/$defs/stringArray" };
const uriReference: Schema = { type: "string", format: "uri-reference" };
const anchor: Schema = { type: "string", pattern: "^[A-Za-z_][-A-Za-z0-9._]*$" };
const number: Schema = { type: "number" };
const string: Schema = { type: "string" };
const boolean: Schema = { type: "boolean" };

export const META_SCHEMA: Schema = {
  $id: "https://hookrelay.dev/schemas/json-schema-2020-12",
  $defs: {
    schemaArray: { type: "array", minItems: 1, items: { $ref: "#" } },
    nonNegativeInteger: { type: "integer", minimum: 0 },
    simpleTypes: { enum: ["array", "boolean", "integer", "null", "number", "object", "string"] },
    stringArray: { type: "array", items: string, uniqueItems: true },
  },
  type: ["object", "boolean"],
  properties: {
    // core
    $id: { ...uriReference, pattern: "^[^#]*#?$" },
    $schema: { type: "string", format: "uri" },
    $ref: uriReference,
    $anchor: anchor,
    $dynamicRef: uriReference,
    $dynamicAnchor: anchor,
    $vocabulary: {
      type: "object",
      propertyNames: { type: "string", format: "uri" },
      additionalProperties: boolean,
    },
    $comment: string,
    $defs: schemaMap,
    // applicator
    prefixItems: schemaArray,
    items: schema,
    contains: schema,
    additionalProperties: schema,
    properties: schemaMap,
    patternProperties: { ...schemaMap, propertyNames: { format: "regex" } },
    dependentSchemas: schemaMap,
    propertyNames: schema,
    if: schema,
    then: schema,
    else: schema,
    allOf: schemaArray,
    anyOf: schemaArray,
    oneOf: schemaArray,
    not: schema,
    // unevaluated
    unevaluatedItems: schema,
    unevaluatedProperties: schema,
    // validation
    type: {
      anyOf: [
        { $ref: "#/$defs/simpleTypes" },
        { type: "array", items: { $ref: "#/$defs/simpleTypes" }, minItems: 1, uniqueItems: true },
      ],
    },
    const: true,
    enum: { type: "array", items: true },
    multipleOf: { type: "number", exclusiveMinimum: 0 },
    maximum: number,
    exclusiveMaximum: number,
    minimum: number,
    exclusiveMinimum: number,
    maxLength: nonNegativeInteger,
    minLength: nonNegativeInteger,
    pattern: { type: "string", format: "regex" },
    maxItems: nonNegativeInteger,
    minItems: nonNegativeInteger,
    uniqueItems: boolean,
    maxContains: nonNegativeInteger,
    minContains: nonNegativeInteger,
    maxProperties: nonNegativeInteger,
    minProperties: nonNegativeInteger,
    required: stringArray,
    dependentRequired: { type: "object", additionalProperties: stringArray },
    // meta-data
    title: string,
    description: string,
    default: true,
    deprecated: boolean,
    readOnly: boolean,
    writeOnly: boolean,
    examples: { type: "array", items: true },
    // format-annotation
    format: string,
    // content
    contentEncoding: string,
    contentMediaType: string,
    contentSchema: schema,
    // kept by the published meta-schema for schemas written before 2019-09
    definitions: schemaMap,
    dependencies: { type: "object", additionalProperties: { anyOf: [schema, stringArray] } },
  },
};
