// Lint: ESLint's and typescript-eslint's recommended rules, and the layers of
// src/ (below). (Biome was the first choice, but its platform packages are not
// all on the registry these machines reach, so `npm ci` could not install it.)
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * The layers of src/, lowest first (docs/ARCHITECTURE.md, "Layers"): a file
 * may import its own layer and lower ones, never a higher one. `files` are
 * the layer's files; `names` how an import spells them, from src/ or, for
 * delivery's rooms, from delivery/ (folders are unique names in src/).
 * scripts/check-cycles.mjs finds circles, which layers alone do not forbid
 * within one layer.
 */
const LAYERS = [
  { files: ["src/lib/**", "src/version.ts"], names: ["lib", "version"] },
  { files: ["src/domain/**"], names: ["domain"] },
  { files: ["src/db/**"], names: ["db"] },
  { files: ["src/storage/**"], names: ["storage"] },
  { files: ["src/env.ts", "src/deps.ts"], names: ["env", "deps"] },
  { files: ["src/security/**", "src/catalog/**"], names: ["security", "catalog"] },
  { files: ["src/ingest/**"], names: ["ingest"] },
  { files: ["src/delivery/filter.ts"], names: ["filter"], room: true },
  { files: ["src/delivery/policy/**"], names: ["policy"], room: true },
  { files: ["src/delivery/attempt/**"], names: ["attempt"], room: true },
  { files: ["src/delivery/history/**"], names: ["history"], room: true },
  { files: ["src/delivery/operational-events/**"], names: ["operational-events"], room: true },
  { files: ["src/delivery/webhook-object/**"], names: ["webhook-object"], room: true },
  { files: ["src/delivery/fan-out/**"], names: ["fan-out"], room: true },
  { files: ["src/delivery/consumer.ts"], names: ["consumer"], room: true },
  { files: ["src/maintenance/**"], names: ["maintenance"] },
  { files: ["src/api/**"], names: ["api"] },
  { files: ["src/app.ts", "src/index.ts"], names: ["app", "index"] },
];

/**
 * src/env.ts, the bindings module, is the one file below the entry point
 * that names the Durable Object classes, type-only, for their stubs' RPC
 * types (Env); everything else reaches an object through Env.
 */
const BINDINGS = "src/env.ts";
const OBJECT_CLASSES = ["./ingest/ingest-do", "./delivery/webhook-object/webhook-do"];
const RULE = "@typescript-eslint/no-restricted-imports";

/** An import that spells a file of `layer` named `name`, from whatever depth. */
const spelled = (layer, name) => `^(\\./|(\\.\\./)+)${layer.room ? "(delivery/)?" : ""}${name}(/|$)`;

/** What a layer's files may not import: any higher layer; env.ts, the classes but type-only. */
function layerRules(layer, index) {
  const patterns = LAYERS.slice(index + 1).flatMap((above) =>
    above.names.map((name, i) => ({
      regex: spelled(above, name),
      message: `${above.files[i]} is a higher layer than ${layer.files.join(" and ")}: not to be imported from here (docs/ARCHITECTURE.md, "Layers").`,
    })),
  );
  if (!layer.files.includes(BINDINGS)) return { files: layer.files, rules: { [RULE]: ["error", { patterns }] } };
  const classes = OBJECT_CLASSES.map((c) => `^${c.replaceAll(".", "\\.")}$`);
  const others = layer.files.filter((f) => f !== BINDINGS);
  return [
    { files: others, rules: { [RULE]: ["error", { patterns }] } },
    {
      files: [BINDINGS],
      rules: {
        [RULE]: [
          "error",
          {
            patterns: [
              // The layers above, but for the class files, which the next patterns allow as types only.
              ...patterns.map((p) => ({ ...p, regex: `(?!${classes.join("|")})${p.regex}` })),
              ...classes.map((regex) => ({
                regex,
                allowTypeImports: true,
                message: "env.ts names a Durable Object class for its stub's type only: import type.",
              })),
            ],
          },
        ],
      },
    },
  ];
}

export default tseslint.config(
  { ignores: ["node_modules/", ".wrangler/", "migrations/", "public/", "bench/results/", "test/artifacts/", "clients/typescript/dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  ...LAYERS.flatMap(layerRules),
  {
    files: ["scripts/**/*.mjs", "dashboard/**/*.mjs", "clients/typescript/scripts/**/*.mjs"],
    languageOptions: {
      globals: { process: "readonly", Buffer: "readonly", console: "readonly", fetch: "readonly", setTimeout: "readonly", clearInterval: "readonly", setInterval: "readonly", URL: "readonly" },
    },
  },
  {
    files: ["test/**/*.ts", "bench/**/*.ts", "clients/typescript/test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
