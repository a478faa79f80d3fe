/**
 * @module GET /docs: a self-contained page that renders /openapi.json. No CDN,
 * so it works offline and under a strict CSP.
 */

export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>hookrelay API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:1rem;color:#1b1f24}
h1{margin:.2em 0}code,pre{font:13px ui-monospace,monospace}pre{background:#f5f7f9;padding:.6rem;overflow:auto;border-radius:6px}
details{border:1px solid #d8dee4;border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}.m{display:inline-block;min-width:4.2em;font-weight:600;text-transform:uppercase}
.get{color:#0969da}.post{color:#1a7f37}.patch{color:#9a6700}.delete{color:#cf222e}h2{margin-top:1.5rem;border-bottom:1px solid #d8dee4}
</style></head><body>
<h1>hookrelay API</h1><p id="intro">Loading <a href="/openapi.json">/openapi.json</a>…</p><main id="ops"></main>
<script>
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
fetch("/openapi.json").then((r) => r.json()).then((doc) => {
  document.getElementById("intro").innerHTML = esc(doc.info.description || "") +
    ' — OpenAPI ' + esc(doc.openapi) + ', version ' + esc(doc.info.version) + ' (<a href="/openapi.json">raw</a>)';
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) {
    const tag = (op.tags || ["Other"])[0]; (byTag[tag] ||= []).push({ path, method, op });
  }
  const out = [];
  for (const [tag, ops] of Object.entries(byTag)) {
    out.push("<h2>" + esc(tag) + "</h2>");
    for (const { path, method, op } of ops) {
      const params = (op.parameters || []).map((p) => "<li><code>" + esc(p.name) + "</code> (" + esc(p.in) + (p.required ? ", required" : "") + ")</li>").join("");
      const body = op.requestBody ? "<p>Body:</p><pre>" + esc(JSON.stringify(op.requestBody.content["application/json"].schema, null, 2)) + "</pre>" : "";
      const responses = Object.entries(op.responses || {}).map(([s, r]) => "<li><code>" + esc(s) + "</code> " + esc(r.description) + "</li>").join("");
      out.push('<details><summary><span class="m ' + esc(method) + '">' + esc(method) + "</span> <code>" + esc(path) + "</code> " + esc(op.operationId || "") + "</summary>" +
        (params ? "<p>Parameters:</p><ul>" + params + "</ul>" : "") + body + "<p>Responses:</p><ul>" + responses + "</ul></details>");
    }
  }
  out.push("<h2>Schemas</h2>");
  for (const [name, schema] of Object.entries(doc.components?.schemas || {}))
    out.push("<details><summary><code>" + esc(name) + "</code></summary><pre>" + esc(JSON.stringify(schema, null, 2)) + "</pre></details>");
  document.getElementById("ops").innerHTML = out.join("");
}).catch((e) => { document.getElementById("intro").textContent = "Could not load /openapi.json: " + e; });
</script></body></html>`;
