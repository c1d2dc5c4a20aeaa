/**
 * The example price board served at `/board` by the inspector's local server: a page that takes
 * its prices from the hub through the browser bridge (`/stream`, Server-Sent Events), never from
 * Upbit. `/board?codes=KRW-BTC,KRW-ETH` picks the markets (default KRW-BTC, KRW-ETH, KRW-XRP).
 * Each row is `tr[data-code]` with `data-price` and `data-updates` (the browser test reads them);
 * everything is inserted as text, never as HTML. Prices are shown as the strings the bridge sent
 * (the frame's digits), never parsed into a JS number.
 */
export const BOARD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>upbit-ws price board</title>
<style>
body{font:14px ui-monospace,Menlo,monospace;margin:1em 2em;color:#222}
table{border-collapse:collapse}th,td{padding:3px 14px 3px 0;text-align:right}th:first-child,td:first-child{text-align:left}
.RISE{color:#c30}.FALL{color:#06c}#conn{color:#666}
</style></head>
<body>
<h1>upbit-ws price board</h1>
<p id="conn">connecting...</p>
<table><thead><tr><th>market<th>price<th>change<th>24 h volume<th>updates</tr></thead><tbody id="rows"></tbody></table>
<script>
(function () {
  var q = new URLSearchParams(location.search).get('codes') || 'KRW-BTC,KRW-ETH,KRW-XRP';
  var codes = q.split(',').filter(Boolean);
  var rows = {};
  var body = document.getElementById('rows');
  codes.forEach(function (code) {
    var tr = document.createElement('tr');
    tr.setAttribute('data-code', code);
    tr.setAttribute('data-updates', '0');
    for (var i = 0; i < 5; i++) tr.appendChild(document.createElement('td'));
    tr.children[0].textContent = code;
    tr.children[4].textContent = '0';
    body.appendChild(tr);
    rows[code] = tr;
  });
  var updates = 0;
  var source = new EventSource('stream?ticker=' + encodeURIComponent(codes.join(',')));
  source.addEventListener('ticker', function (m) {
    var t = JSON.parse(m.data);
    var tr = rows[t.code];
    if (!tr) return;
    var n = Number(tr.getAttribute('data-updates')) + 1;
    tr.setAttribute('data-updates', String(n));
    tr.setAttribute('data-price', t.tradePrice);
    tr.className = t.change;
    tr.children[1].textContent = t.tradePrice;
    tr.children[2].textContent = t.signedChangeRate;
    tr.children[3].textContent = t.accTradeVolume24h;
    tr.children[4].textContent = String(n);
    updates++;
    document.getElementById('conn').textContent = 'live (' + updates + ' updates)';
  });
  source.addEventListener('error', function (m) {
    if (m.data) document.getElementById('conn').textContent = 'refused: ' + JSON.parse(m.data).message;
    else document.getElementById('conn').textContent = 'disconnected, retrying...';
  });
})();
</script>
</body></html>
`;
