/**
 * @module Storage (SPEC §8.1), for operators: what each history shard holds
 * against its limit, and what the R2 archive holds (GET
 * /v1/operations/storage). A shard past 80 % is marked as `storage.near_limit`
 * says it; past 90 % its tenants' publishes are refused.
 */
import type { Storage } from "../../../clients/typescript/src/client";
import { h, replace } from "../dom";
import { formatBytes, formatPercent } from "../format";
import { card, pageHead } from "../ui";
import type { ViewContext } from "./context";

/** The shares of a shard's limit at which the relay warns, and then refuses new publishes (src/storage/layout.ts). */
const NEAR = 0.8;
const FULL = 0.9;

export async function renderStorage(context: ViewContext): Promise<void> {
  const { client, main } = context;
  context.setCrumbs([{ label: "Applications", href: "#/" }, { label: "Storage" }]);
  const storage = await client.operations.storage();
  if (!context.isCurrent()) return;
  replace(
    main,
    h(
      "div",
      { class: "page" },
      pageHead(
        [
          h("h1", {}, "Storage"),
          h(
            "p",
            { class: "muted" },
            "The delivery history: its recent hours in the history shards (D1), payloads and older history in the archive (R2).",
          ),
        ],
        [],
      ),
      card("History shards", [shardsTable(storage)]),
      card("Archive (R2)", [
        h(
          "dl",
          { class: "health", id: "storage-archive" },
          h("div", {}, h("dt", {}, "Objects"), h("dd", {}, storage.archive.objects.toLocaleString("en-US"))),
          h("div", {}, h("dt", {}, "Size"), h("dd", {}, formatBytes(storage.archive.bytes))),
        ),
      ]),
    ),
  );
}

function shardsTable(storage: Storage): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "table table-stack", id: "storage-shards" },
      h("thead", {}, h("tr", {}, ["Shard", "Rows", "Size", "Limit", "Used"].map((label) => h("th", {}, label)))),
      h(
        "tbody",
        {},
        storage.databases.map((db) => {
          const used = db.limit_bytes > 0 ? db.bytes / db.limit_bytes : 0;
          const tone = used >= FULL ? "code-err" : used >= NEAR ? "code-warn" : "code-ok";
          return h(
            "tr",
            {},
            h("td", { "data-label": "Shard" }, h("code", {}, db.name)),
            h("td", { "data-label": "Rows" }, db.rows.toLocaleString("en-US")),
            h("td", { "data-label": "Size" }, formatBytes(db.bytes)),
            h("td", { "data-label": "Limit" }, formatBytes(db.limit_bytes)),
            h("td", { "data-label": "Used" }, h("span", { class: `code ${tone}` }, formatPercent(used))),
          );
        }),
      ),
    ),
  );
}
