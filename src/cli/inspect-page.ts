/**
 * The inspector page served by inspect-server.ts: one self-contained HTML document (no external
 * asset, no framework, no CDN). It fetches `/charts.json` once (every machine's state tree, from
 * its definition: statechart.ts) and listens to `/events` (Server-Sent Events), redrawing:
 *  - the health verdict (`#health[data-status]`, reasons as a list) and the metrics per
 *    connection (`#metrics tr[data-connection]`) and per component;
 *  - the merged wire set of each connection beside each component's wishes (`#wire`);
 *  - the actor tree (`li[data-actor][data-state]`, which the browser test reads), each machine
 *    actor with its statechart (`.chart`, nested boxes `[data-path]`, the active path `.active`);
 *  - the hub status and the recent events.
 * Everything is inserted as text nodes (`textContent`), never as HTML: actor ids include component
 * names that users choose. Which charts are unfolded survives redraws.
 */
export const INSPECT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>upbit-ws inspector</title>
<style>
body{font:13px ui-monospace,Menlo,monospace;margin:1em 2em;color:#222}
h1{font-size:16px}h2{font-size:14px;margin-top:1.5em}
ul.tree,ul.tree ul{list-style:none;padding-left:1.2em;margin:0}
ul.tree li{margin:2px 0}
.state{font-weight:bold;color:#0a5}
li[data-status=stopped]>.state,li[data-state=waiting]>.state,li[data-state=failed]>.state{color:#c30}
#conn{color:#666}
#health[data-status=healthy]{color:#0a5}#health[data-status=degraded]{color:#b80}#health[data-status=unhealthy]{color:#c30}
table{border-collapse:collapse}td,th{padding:1px 8px 1px 0;vertical-align:top;text-align:left}
pre{margin:0;white-space:pre-wrap}
.side{display:flex;gap:2em;flex-wrap:wrap}
details.chart>summary{cursor:pointer;color:#666}
.st{border:1px solid #bbb;border-radius:6px;padding:2px 6px;margin:3px;display:inline-block;vertical-align:top;background:#fff}
.st.final{border-width:3px;border-style:double}
.st.active{border-color:#0a5;background:#e9fbe9}
.st.active>.name{color:#0a5;font-weight:bold}
.kids.par>.st{border-style:dashed}
.st>ul.on{margin:0;padding-left:1em;font-size:11px;color:#777}
</style></head>
<body>
<h1>upbit-ws inspector</h1>
<p id="conn">connecting...</p>
<h2>Health</h2><p id="health" data-status="">-</p><ul id="reasons"></ul>
<h2>Metrics</h2><table id="metrics"></table><table id="delivery"></table>
<p><a href="metrics">/metrics</a> (Prometheus) · <a href="healthz">/healthz</a> · <a href="board">/board</a> (price board over the bridge)</p>
<h2>Wire set and wishes</h2><div class="side" id="wire"></div>
<h2>Actors</h2><ul class="tree" id="tree"></ul>
<h2>Hub status</h2><pre id="status"></pre>
<h2>Recent events</h2><table id="events"></table>
<script>
(function () {
  var el = function (tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  var charts = {};
  var unfolded = {};
  var chart = function (o, active) {
    var on = o.path === '' || active.has(o.path);
    var box = el('div', { 'class': 'st ' + o.type + (on ? ' active' : ''), 'data-path': o.path });
    box.appendChild(el('div', { 'class': 'name' }, o.key + (o.initial ? '  (initial ' + o.initial + ')' : '')));
    if (o.on.length) {
      var ul = el('ul', { 'class': 'on' });
      o.on.forEach(function (t) { ul.appendChild(el('li', {}, t)); });
      box.appendChild(ul);
    }
    if (o.states.length) {
      var kids = el('div', { 'class': 'kids ' + (o.type === 'parallel' ? 'par' : 'seq') });
      o.states.forEach(function (c) { kids.appendChild(chart(c, active)); });
      box.appendChild(kids);
    }
    return box;
  };
  var node = function (n) {
    var li = el('li', { 'data-actor': n.id, 'data-state': n.state, 'data-status': n.status });
    li.appendChild(el('span', { 'class': 'id' }, n.id + ' '));
    li.appendChild(el('span', { 'class': 'state' }, n.state || '(' + n.status + ')'));
    if (n.machine && charts[n.machine]) {
      var d = el('details', { 'class': 'chart', 'data-machine': n.machine });
      if (unfolded[n.id]) d.open = true;
      d.addEventListener('toggle', function () { unfolded[n.id] = d.open; });
      d.appendChild(el('summary', {}, 'statechart: ' + n.machine));
      d.appendChild(chart(charts[n.machine], new Set(n.active || [])));
      li.appendChild(d);
    }
    if (n.children.length) {
      var ul = el('ul');
      n.children.forEach(function (c) { ul.appendChild(node(c)); });
      li.appendChild(ul);
    }
    return li;
  };
  var fmt = function (v) { return v === undefined || v === null ? '-' : typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : String(v); };
  var table = function (id, head, rows) {
    var t = document.getElementById(id);
    var h = el('tr');
    head.forEach(function (x) { h.appendChild(el('th', {}, x)); });
    t.replaceChildren.apply(t, [h].concat(rows));
  };
  var renderHub = function (hub) {
    if (!hub) return;
    var health = document.getElementById('health');
    health.setAttribute('data-status', hub.health.status);
    health.textContent = hub.health.status;
    var reasons = document.getElementById('reasons');
    reasons.replaceChildren.apply(reasons, hub.health.reasons.map(function (r) { return el('li', {}, r); }));
    var cols = ['state', 'uptimeSeconds', 'messages', 'bytes', 'messagesPerSecond', 'errors', 'reconnects', 'epoch', 'subscriptionsOnWire', 'delayP50Ms', 'delayP99Ms'];
    table('metrics', ['connection'].concat(cols), ['public', 'private'].map(function (side) {
      var m = hub.stats.connections[side];
      var tr = el('tr', { 'data-connection': side, 'data-messages': String(m.messages) });
      tr.appendChild(el('td', {}, side));
      cols.forEach(function (c) { tr.appendChild(el('td', { 'data-metric': c }, fmt(m[c]))); });
      return tr;
    }));
    var dcols = ['delivered', 'dropped', 'coalesced', 'queued', 'callbackErrors'];
    table('delivery', ['component'].concat(dcols), Object.keys(hub.stats.components).map(function (id) {
      var tr = el('tr', { 'data-component': id });
      tr.appendChild(el('td', {}, id));
      dcols.forEach(function (c) { tr.appendChild(el('td', {}, fmt(hub.stats.components[id].delivery[c]))); });
      return tr;
    }));
    var wire = document.getElementById('wire');
    var block = function (title, lines, attrs) {
      var d = el('div', attrs);
      d.appendChild(el('b', {}, title));
      d.appendChild(el('pre', {}, lines.length ? lines.join('\\n') : '(nothing)'));
      return d;
    };
    var blocks = [block('wire: public', hub.wire.public, { 'data-wire': 'public' }), block('wire: private', hub.wire.private, { 'data-wire': 'private' })];
    Object.keys(hub.wishes).forEach(function (id) { blocks.push(block('wishes: ' + id, hub.wishes[id], { 'data-wishes': id })); });
    wire.replaceChildren.apply(wire, blocks);
  };
  var updates = 0;
  var render = function (p) {
    updates++;
    renderHub(p.hub);
    var tree = document.getElementById('tree');
    tree.replaceChildren.apply(tree, p.tree.map(node));
    document.getElementById('status').textContent = p.status === undefined ? '' : JSON.stringify(p.status, null, 2);
    var rows = p.events.slice().reverse().map(function (e) {
      var tr = el('tr');
      tr.appendChild(el('td', {}, new Date(e.at).toISOString().slice(11, 23)));
      tr.appendChild(el('td', {}, e.actor));
      tr.appendChild(el('td', {}, e.type || ''));
      tr.appendChild(el('td', {}, e.source ? 'from ' + e.source : ''));
      return tr;
    });
    var events = document.getElementById('events');
    events.replaceChildren.apply(events, rows);
    document.getElementById('conn').textContent = 'live (' + updates + ' updates)';
  };
  var start = function () {
    var source = new EventSource('events');
    source.onmessage = function (m) { render(JSON.parse(m.data)); };
    source.onerror = function () { document.getElementById('conn').textContent = 'disconnected, retrying...'; };
  };
  fetch('charts.json').then(function (r) { return r.json(); }).then(function (c) { charts = c; }, function () {}).then(start);
})();
</script>
</body></html>
`;
