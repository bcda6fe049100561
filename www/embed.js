// A page that embeds the widget as a shop would, configured from the query string:
// shop, sku (comma-separated for several), variant_ids (platform variant ids, the same;
// platform=shopify names their platform), group (a signed customer-group token on the
// script tag), lang, dir, mode, api, theme variables as --restock-*=value, nowasm=1 (no
// wasm ever compiles: what the page shows without it), and spy=1 (count wasm modules
// compiled while streaming). The dashboard's snippet generator previews with it
// (www/embed.html), and the widget tests load it on the shop's own site, another
// origin (tests/pages/embed.html): the widget comes from wherever this file came from.
// (A file, not an inline script, so the page's Content-Security-Policy needs no
// 'unsafe-inline'.)
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
  if (q.get('nowasm')) {
    WebAssembly.instantiateStreaming = WebAssembly.instantiate = function () { return new Promise(function () {}); };
  }
  var mounts = document.getElementById('mounts');
  var list = function (name) { return (q.get(name) || '').split(',').filter(Boolean); };
  list('sku').map(function (v) { return ['data-restock-sku', v]; })
    .concat(list('variant_ids').map(function (v) { return ['data-restock-variant-id', v]; }))
    .forEach(function (m) {
      var el = document.createElement('div');
      el.setAttribute(m[0], m[1]);
      if (m[0] != 'data-restock-sku' && q.get('platform')) el.setAttribute('data-restock-platform', q.get('platform'));
      if (q.get('mode')) el.setAttribute('data-restock-mode', q.get('mode'));
      q.forEach(function (value, key) { if (key.indexOf('--restock-') === 0) el.style.setProperty(key, value); });
      mounts.appendChild(el);
    });
  var s = document.createElement('script');
  s.src = new URL('/widget/widget.js', here).href;
  s.async = true;
  s.dataset.shop = q.get('shop') || 'demo';
  if (q.get('api')) s.dataset.api = q.get('api');
  if (q.get('group')) s.dataset.restockGroup = q.get('group');
  document.body.appendChild(s);
})();
