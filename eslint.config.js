// Lint: ESLint's and typescript-eslint's recommended rules. (Biome was the
// first choice, but its platform packages are not all on the registry these
// machines reach, so `npm ci` could not install it.)
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".wrangler/", "migrations/", "public/", "bench/results/", "test/artifacts/", "clients/typescript/dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
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
