// A shop page that embeds the widget from another origin, configured from the query
// string: shop, sku (comma-separated for several), lang, dir, mode (compact), api, and theme
// variables as --restock-*=value. The script tag is the one the README documents.
(function () {
  var q = new URLSearchParams(location.search);
  if (q.get('lang')) document.documentElement.lang = q.get('lang');
  if (q.get('dir')) document.documentElement.dir = q.get('dir');
  // spy=1: count wasm modules compiled while streaming (the widget should be one).
  if (q.get('spy')) {
    var streaming = WebAssembly.instantiateStreaming;
    window.__streamed = 0;
    WebAssembly.instantiateStreaming = function () {
      return streaming.apply(this, arguments).then(function (r) { window.__streamed++; return r; });
    };
  }
  document.addEventListener('DOMContentLoaded', function () {
    var mounts = document.getElementById('mounts');
    (q.get('sku') || '').split(',').filter(Boolean).forEach(function (sku) {
      var el = document.createElement('div');
      el.setAttribute('data-restock-sku', sku);
      if (q.get('mode')) el.setAttribute('data-restock-mode', q.get('mode'));
      q.forEach(function (value, key) { if (key.indexOf('--restock-') === 0) el.style.setProperty(key, value); });
      mounts.appendChild(el);
    });
    var s = document.createElement('script');
    s.src = '{{RESTOCK}}/widget/widget.js';
    s.async = true;
    s.dataset.shop = q.get('shop') || 'demo';
    if (q.get('api')) s.dataset.api = q.get('api');
    document.body.appendChild(s);
  });
})();
