// A page that embeds the widget as a shop would, configured from the query string:
// shop, sku (comma-separated for several), lang, mode, api, and theme variables as
// --restock-*=value. The dashboard's snippet generator previews with it. (A file, not
// an inline script, so the page's Content-Security-Policy needs no 'unsafe-inline'.)
(function () {
  var q = new URLSearchParams(location.search);
  var lang = q.get('lang');
  if (lang) document.documentElement.lang = lang;
  var mounts = document.getElementById('mounts');
  (q.get('sku') || '').split(',').filter(Boolean).forEach(function (sku) {
    var el = document.createElement('div');
    el.setAttribute('data-restock-sku', sku);
    if (q.get('mode')) el.setAttribute('data-restock-mode', q.get('mode'));
    q.forEach(function (value, key) { if (key.indexOf('--restock-') === 0) el.style.setProperty(key, value); });
    mounts.appendChild(el);
  });
  var s = document.createElement('script');
  s.src = '/widget/widget.js';
  s.async = true;
  s.dataset.shop = q.get('shop') || 'demo';
  if (q.get('api')) s.dataset.api = q.get('api');
  document.body.appendChild(s);
})();
