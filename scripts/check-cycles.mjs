/**
 * Fails when the imports of src/ form a circle, type-only imports included:
 * the layers (eslint.config.js) keep imports pointing down between layers,
 * this keeps them from going round within one. The one exception is the
 * bindings module, src/env.ts, whose type-only imports of the Durable Object
 * classes are what their stubs' types are made of (docs/ARCHITECTURE.md,
 * "Layers"). Run by `npm run check`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const src = resolve(dirname(fileURLToPath(import.meta.url)), "..", "src");
const BINDINGS = "env.ts";

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** The files of src/ that `file` imports, by path relative to src/. */
function importsOf(file) {
  const tree = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const from = relative(src, file);
  return tree.statements.flatMap((statement) => {
    const isImport = ts.isImportDeclaration(statement);
    if (!isImport && !(ts.isExportDeclaration(statement) && statement.moduleSpecifier)) return [];
    const specifier = statement.moduleSpecifier.text;
    if (!specifier.startsWith(".")) return [];
    const clause = isImport ? statement.importClause : statement;
    const typeOnly =
      clause?.isTypeOnly ||
      (isImport && clause?.namedBindings && ts.isNamedImports(clause.namedBindings) && !clause.name &&
        clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly));
    if (from === BINDINGS && typeOnly) return [];
    return [relative(src, resolve(dirname(file), specifier)).replace(/(\.js)?$/, ".ts")];
  });
}

const graph = new Map(sources(src).map((file) => [relative(src, file), importsOf(file)]));

// Depth-first search; a file met again while still on the path closes a circle.
const circles = [];
const state = new Map();
function visit(file, path) {
  state.set(file, "open");
  for (const next of graph.get(file) ?? []) {
    if (state.get(next) === "open") circles.push([...path.slice(path.indexOf(next)), next]);
    else if (!state.has(next)) visit(next, [...path, next]);
  }
  state.set(file, "done");
}
for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file, [file]);

if (circles.length > 0) {
  for (const circle of circles) console.error(`import circle: ${circle.join(" -> ")}`);
  console.error("Break each circle: move what both need to a lower layer (docs/ARCHITECTURE.md, \"Layers\").");
  process.exit(1);
}
console.log(`src/: ${graph.size} files, no import circle`);
