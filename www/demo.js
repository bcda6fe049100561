// Demo storefront only: ?lang=xx sets the page language before the widget starts, and
// ?sku=X on the product page picks that product (so every product has a page).
(function () {
  var q = new URLSearchParams(location.search);
  var lang = q.get('lang');
  if (lang && /^[a-z]{2}(-[A-Za-z]{2})?$/.test(lang)) document.documentElement.lang = lang;
  var sku = q.get('sku');
  if (sku && /^[A-Za-z0-9._-]{1,64}$/.test(sku) && !/^TEE-ORG-/.test(sku)) {
    document.addEventListener('DOMContentLoaded', function () {
      var mount = document.querySelector('[data-restock-sku]');
      var size = document.getElementById('size');
      if (mount) mount.setAttribute('data-restock-sku', sku);
      if (size) size.closest('form').querySelectorAll('label[for=size], #size').forEach(function (e) { e.remove(); });
      var title = document.getElementById('title');
      if (title) title.textContent = sku;
    });
  }
})();
