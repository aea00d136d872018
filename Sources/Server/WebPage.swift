// WebPage: the search page `GET /` serves — one self-contained HTML file (no downloads): a search
// box, image upload by picker or drag-and-drop, a direction switch, an index picker, and a grid of
// results (in tie groups when ranked by Hamming distance alone, with each result's score when
// re-ranked); clicking a result searches by it, and the search lives in the URL.

import Platform

enum WebPage {
  static let html = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cmh search</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#fafafa;color:#222}
header{background:#fff;border-bottom:1px solid #ddd;padding:12px 20px;position:sticky;top:0;z-index:1}
form{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
#q{flex:1;min-width:240px;font-size:16px;padding:8px}
select,button,input[type=file]{font-size:14px;padding:6px}
#drop{border:2px dashed #aaa;border-radius:6px;padding:6px 12px;color:#666}
#drop.over{border-color:#064;color:#064}
main{padding:16px 20px}
#status{color:#555;margin:6px 0}
#error{color:#a00;font-weight:bold;margin:6px 0}
.group{margin:14px 0}
.group h2{font-size:14px;font-weight:normal;color:#555;border-bottom:1px solid #e4e4e4;padding-bottom:4px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px;cursor:pointer}
.card:hover{border-color:#064;box-shadow:0 1px 4px rgba(0,0,0,.15)}
.card img{width:100%;aspect-ratio:1;object-fit:cover;image-rendering:pixelated;background:#eee;border-radius:4px}
.meta{font-size:12px;color:#666;margin-top:4px}
.labels{font-size:12px;margin-top:4px}
.labels b{color:#064}
.text{font-size:14px}
#query img{max-height:120px;border:1px solid #ccc;border-radius:4px}
</style></head>
<body>
<header><form id="form">
<input id="q" name="q" placeholder="Describe what to find, or drop an image" autocomplete="off">
<select id="target" title="what to find"><option value="image">find images</option><option value="text">find texts</option></select>
<select id="index" title="index set"></select>
<select id="rerank" title="order of the nearest codes"><option value="">default order</option><option value="none">Hamming distance only</option><option value="stored">re-rank: stored outputs</option><option value="asymmetric">re-rank: asymmetric</option><option value="qe">re-rank: query expansion</option><option value="kreciprocal">re-rank: k-reciprocal</option></select>
<select id="k" title="results"><option>10</option><option selected>20</option><option>50</option><option>100</option></select>
<button type="submit">Search</button>
<label id="drop">image: <input type="file" id="file" accept="image/jpeg,image/png,image/webp"></label>
</form></header>
<main><div id="query"></div><div id="status"></div><div id="error"></div><div id="results"></div></main>
<script>
const $ = id => document.getElementById(id);
const esc = s => String(s).replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));
let busy = 0;

async function api(path, options) {
  const r = await fetch(path, options);
  const body = await r.json().catch(() => ({error: r.status + " " + r.statusText}));
  if (!r.ok) throw new Error(body.error || (r.status + " " + r.statusText));
  return body;
}

function state() { return new URLSearchParams(location.search); }

function setState(params, push) {
  const url = "?" + params.toString();
  if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
}

function common() {
  return {k: Number($("k").value), index: $("index").value || undefined, target: $("target").value, rerank: $("rerank").value || undefined};
}

async function run(params) {
  const mine = ++busy;
  $("error").textContent = ""; $("status").textContent = "searching…";
  try {
    let answer;
    if (params.get("id")) {
      const body = Object.assign(common(), {id: params.get("id")});
      if (params.get("from")) body.from = params.get("from");
      answer = await api("/api/search/image", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    } else if (params.get("q")) {
      answer = await api("/api/search/text", {method: "POST", headers: {"Content-Type": "application/json"},
                                               body: JSON.stringify(Object.assign(common(), {query: params.get("q")}))});
    } else { $("status").textContent = ""; return; }
    if (mine === busy) show(answer);
  } catch (e) { if (mine === busy) { $("status").textContent = ""; $("error").textContent = e.message; $("results").innerHTML = ""; } }
}

async function upload(file) {
  const mine = ++busy;
  $("error").textContent = ""; $("status").textContent = "searching by " + file.name + "…";
  const form = new FormData();
  form.append("image", file, file.name);
  const c = common();
  form.append("k", c.k); form.append("target", c.target); if (c.index) form.append("index", c.index); if (c.rerank) form.append("rerank", c.rerank);
  $("query").innerHTML = '<img alt="query" src="' + URL.createObjectURL(file) + '">';
  try { const answer = await api("/api/search/image", {method: "POST", body: form}); if (mine === busy) show(answer); }
  catch (e) { if (mine === busy) { $("status").textContent = ""; $("error").textContent = e.message; } }
}

function imageURL(id, index) { return "/api/image/" + encodeURIComponent(id) + (index ? "?index=" + encodeURIComponent(index) : ""); }

function show(a) {
  const q = a.query;
  if (q.kind === "item") {
    $("query").innerHTML = "searching by item " + esc(q.id);
    api("/api/item/" + encodeURIComponent(q.id) + (a.index ? "?index=" + encodeURIComponent(a.index) : "")).then(item => {
      const labels = q.labels && q.labels.length ? " — labels: " + q.labels.map(l => "<b>" + esc(l) + "</b>").join(", ") : "";
      $("query").innerHTML = (item.image ? '<img alt="query" src="' + imageURL(item.id, a.index) + '"> similar to ' + esc(item.id)
                                         : "“" + esc(item.text) + "” (" + esc(item.id) + ")") + labels;
    }).catch(() => {});
  } else if (q.kind === "text") { $("query").innerHTML = ""; }
  $("status").textContent = a.results.length + " of " + a.size + " " + a.target + "s" + (a.index ? " in “" + a.index + "”" : "") +
    (a.ignored && a.ignored.length ? "; not in the vocabulary, ignored: " + a.ignored.join(", ") : "") + " — " + a.ties;
  // Ranked by distance alone, results come in tie groups; re-ranked, they come in one grid, each with its score.
  const grouped = a.rerank === "none";
  let html = grouped ? "" : '<div class="group"><div class="grid">', last = grouped ? -1 : 0;
  for (const r of a.results) {
    if (grouped && r.distance !== last) {
      if (last >= 0) html += "</div></div>";
      html += '<div class="group"><h2>distance ' + r.distance + " — " + r.tied + " item" + (r.tied === 1 ? "" : "s") + " of the index at this distance</h2><div class=\"grid\">";
      last = r.distance;
    }
    const labels = r.labels.map(l => r.matched.includes(l) ? "<b>" + esc(l) + "</b>" : esc(l)).join(", ");
    html += '<div class="card" data-id="' + esc(r.id) + '" data-from="' + a.target + '" title="search by this ' + a.target + '">' +
      (r.image !== undefined ? '<img loading="lazy" alt="' + esc(r.id) + '" src="' + imageURL(r.id, a.index) + '">' : '<div class="text">' + esc(r.text) + "</div>") +
      '<div class="meta">' + r.rank + ". " + esc(r.id) + " · distance " + r.distance +
      (grouped ? "" : " (" + r.tied + " tied) · score " + (r.score === undefined ? "–" : r.score.toFixed(3))) + "</div>" +
      '<div class="labels">' + labels + "</div></div>";
  }
  if (last >= 0) html += "</div></div>";
  $("results").innerHTML = html || "<p>No results.</p>";
}

$("results").addEventListener("click", e => {
  const card = e.target.closest(".card");
  if (!card) return;
  const p = state(); p.delete("q"); p.set("id", card.dataset.id); p.set("from", card.dataset.from);
  $("q").value = "";
  setState(withOptions(p), true); run(p);
});

function withOptions(p) {
  p.set("target", $("target").value); p.set("k", $("k").value);
  if ($("index").value) p.set("index", $("index").value); else p.delete("index");
  if ($("rerank").value) p.set("rerank", $("rerank").value); else p.delete("rerank");
  return p;
}

$("form").addEventListener("submit", e => {
  e.preventDefault();
  const p = new URLSearchParams(); p.set("q", $("q").value);
  setState(withOptions(p), true); run(p);
});
$("file").addEventListener("change", () => { if ($("file").files[0]) upload($("file").files[0]); });
const drop = $("drop");
for (const t of [document.body]) {
  t.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
  t.addEventListener("dragleave", () => drop.classList.remove("over"));
  t.addEventListener("drop", e => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) upload(e.dataTransfer.files[0]); });
}
window.addEventListener("popstate", () => { load(); });

function load() {
  const p = state();
  $("q").value = p.get("q") || "";
  if (p.get("target")) $("target").value = p.get("target");
  if (p.get("k")) $("k").value = p.get("k");
  if (p.get("index")) $("index").value = p.get("index");
  $("rerank").value = p.get("rerank") || "";
  run(p);
}

api("/health").then(h => {
  const names = Object.keys(h.index_sets).sort();
  $("index").innerHTML = names.map(n => '<option value="' + esc(n) + '">' + esc(n) + " (" +
    Object.entries(h.index_sets[n]).map(([m, c]) => c + " " + m + "s").join(", ") + ")</option>").join("");
  if (names.length < 2) $("index").style.display = "none";
  if (!h.text_queries) { $("q").placeholder = "this model reads no free text: drop an image"; }
  if (!h.image_queries) { drop.style.display = "none"; }
  load();
}).catch(e => { $("error").textContent = "cannot reach the server: " + e.message; });
</script>
</body></html>
"""#
}
