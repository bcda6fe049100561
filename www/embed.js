// A page that embeds the widget as a shop would, configured from the query string:
// shop, sku (comma-separated for several), lang, dir, mode, api, theme variables as
// --restock-*=value, and spy=1 (count wasm modules compiled while streaming). The
// dashboard's snippet generator previews with it (www/embed.html), and the widget tests
// load it on the shop's own site, another origin (tests/pages/embed.html): the widget
// comes from wherever this file came from. (A file, not an inline script, so the page's
// Content-Security-Policy needs no 'unsafe-inline'.)
(function () {
  var q = new URLSearchParams(location.search);
  var here = document.currentScript.src;
  if (q.get('lang')) document.documentElement.lang = q.get('lang');
  if (q.get('dir')) document.documentElement.dir = q.get('dir');
  if (q.get('spy')) {
    var streaming = WebAssembly.instantiateStreaming;
    window.__streamed = 0;
    WebAssembly.instantiateStreaming = function () {
      return streaming.apply(this, arguments).then(function (r) { window.__streamed++; return r; });
    };
  }
  var mounts = document.getElementById('mounts');
  (q.get('sku') || '').split(',').filter(Boolean).forEach(function (sku) {
    var el = document.createElement('div');
    el.setAttribute('data-restock-sku', sku);
    if (q.get('mode')) el.setAttribute('data-restock-mode', q.get('mode'));
    q.forEach(function (value, key) { if (key.indexOf('--restock-') === 0) el.style.setProperty(key, value); });
    mounts.appendChild(el);
  });
  var s = document.createElement('script');
  s.src = new URL('/widget/widget.js', here).href;
  s.async = true;
  s.dataset.shop = q.get('shop') || 'demo';
  if (q.get('api')) s.dataset.api = q.get('api');
  document.body.appendChild(s);
})();
