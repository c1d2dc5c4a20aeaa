/**
 * The inspector page served by inspect-server.ts: one self-contained HTML document (no external
 * asset, no framework). It listens to `/events` (Server-Sent Events) and redraws three parts:
 * the actor tree (`li[data-actor][data-state]`, which the browser test reads), the hub status and
 * the recent events. Everything is inserted as text nodes (`textContent`), never as HTML: actor
 * ids include component names that users choose.
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
table{border-collapse:collapse}td{padding:1px 8px 1px 0;vertical-align:top}
pre{margin:0;white-space:pre-wrap}
</style></head>
<body>
<h1>upbit-ws inspector</h1>
<p id="conn">connecting...</p>
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
  var node = function (n) {
    var li = el('li', { 'data-actor': n.id, 'data-state': n.state, 'data-status': n.status });
    li.appendChild(el('span', { 'class': 'id' }, n.id + ' '));
    li.appendChild(el('span', { 'class': 'state' }, n.state || '(' + n.status + ')'));
    if (n.children.length) {
      var ul = el('ul');
      n.children.forEach(function (c) { ul.appendChild(node(c)); });
      li.appendChild(ul);
    }
    return li;
  };
  var updates = 0;
  var render = function (p) {
    updates++;
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
    var table = document.getElementById('events');
    table.replaceChildren.apply(table, rows);
    document.getElementById('conn').textContent = 'live (' + updates + ' updates)';
  };
  var source = new EventSource('events');
  source.onmessage = function (m) { render(JSON.parse(m.data)); };
  source.onerror = function () { document.getElementById('conn').textContent = 'disconnected, retrying...'; };
})();
</script>
</body></html>
`;
