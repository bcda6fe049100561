// A stand-in for BigCommerce Cornerstone's product page script (written for these
// tests, not copied; sources read: assets/js/theme/common/product-details.js,
// assets/js/theme/common/product-details-base.js, templates/components/products/
// product-view.html). What an option change does, in Cornerstone's order:
//
//   1. a native `change` anywhere in `[data-product-option-change]` (radios, selects;
//      not file inputs) calls productOptionsChanged: the form is serialised and sent to
//      the storefront (stencil-utils `utils.api.productAttributes.optionChange`, a
//      request to /remote/v1/product-attributes/{product_id}); here: a timer, then the
//      answer is read from the JSON block at the end of the page;
//   2. with the answer ({sku, upc, variantId, v3_variant_id, instock, purchasable,
//      stock, price, in_stock_attributes, ...}): updateProductAttributes (out-of-stock
//      labels), then updateView — `[data-product-sku]` text set to data.sku (or emptied
//      and its label hidden when there is none; jQuery's .text() replaces the text node
//      even when the value is the same), UPC, stock, price, message box, button;
//   3. `document` gets CustomEvent('onProductOptionsChanged', {bubbles: true,
//      detail: {content, data}}) (Cornerstone since 2024);
//   4. setProductVariant writes `data-product-variant` ("Size:L") on .productView.
//
// At start it shows `[data-product-option-change]` (rendered display:none), runs
// updateView with window.BCData.product_attributes, and sends one optionChange for the
// initial selection (which refreshes availability only, not the SKU). No Restock call.
(() => {
  'use strict';

  const OPTION_CHANGE_MS = 60;

  const scope = document.querySelector('.productView');
  if (!scope) return;
  const form = scope.querySelector('form[data-cart-item-add]');
  const options = form.querySelector('[data-product-option-change]');
  const productId = form.querySelector('[name="product_id"]').value;

  const responses = (() => {
    try {
      return JSON.parse(document.querySelector('script[data-test-option-change]')?.textContent || '{}');
    } catch {
      return {};
    }
  })();

  // stencil-utils: api.productAttributes.optionChange(productId, params, template, callback).
  // Every change sends its own request; nothing is cancelled.
  function optionChange(id, serialized, callback) {
    setTimeout(() => {
      const size = new URLSearchParams(serialized).get('attribute[115]');
      const data = responses[size];
      if (!data || String(id) !== productId) {
        callback(new Error('Not Found'), { data: {}, content: '' });
        return;
      }
      callback(null, { data: structuredClone(data), content: '' });
    }, OPTION_CHANGE_MS);
  }

  const serialize = () => new URLSearchParams(new FormData(form)).toString();

  const viewModel = () => ({
    priceWithoutTax: scope.querySelector('[data-product-price-without-tax]'),
    sku: { label: scope.querySelector('dt.sku-label'), value: scope.querySelector('[data-product-sku]') },
    upc: { label: scope.querySelector('dt.upc-label'), value: scope.querySelector('[data-product-upc]') },
    weight: scope.querySelector('[data-product-weight]'),
    stock: { container: scope.querySelector('.form-field--stock'), input: scope.querySelector('[data-product-stock]') },
    addToCart: scope.querySelector('#form-action-addToCart'),
    messageBox: scope.querySelector('.productAttributes-message'),
  });

  const show = (el, on) => {
    if (el) el.style.display = on ? '' : 'none';
  };

  function showMessageBox(message) {
    const box = viewModel().messageBox;
    if (!box) return;
    box.querySelector('.alertBox-message').textContent = message || '';
    show(box, Boolean(message));
  }

  function updateProductAttributes(data) {
    const behavior = data.out_of_stock_behavior;
    if (behavior !== 'hide_option' && behavior !== 'label_option') return;
    const inStock = data.in_stock_attributes || [];
    const suffix = ` (${data.out_of_stock_message || 'Out of stock'})`;
    scope.querySelectorAll('[data-product-attribute-value]').forEach((attribute) => {
      const id = parseInt(attribute.dataset.productAttributeValue, 10);
      const available = inStock.includes(id);
      if (behavior === 'hide_option') {
        show(attribute.closest('.form-option-wrapper') || attribute, available);
        return;
      }
      // label_option: rectangles get the `unavailable` class, select options a suffix.
      if (attribute.tagName === 'OPTION') {
        const base = attribute.dataset.label || attribute.textContent;
        attribute.dataset.label = base;
        attribute.textContent = available ? base : base + suffix;
      } else {
        attribute.classList.toggle('unavailable', !available);
      }
    });
  }

  function updateView(data) {
    const vm = viewModel();
    showMessageBox(data.stock_message || data.purchasing_message);
    if (data.price && data.price.without_tax && vm.priceWithoutTax) {
      vm.priceWithoutTax.textContent = data.price.without_tax.formatted;
    }
    if (data.weight && vm.weight) vm.weight.textContent = data.weight.formatted;
    if (data.sku) {
      vm.sku.value.textContent = data.sku;
      show(vm.sku.label, true);
    } else {
      show(vm.sku.label, false);
      vm.sku.value.textContent = '';
    }
    if (data.upc) {
      vm.upc.value.textContent = data.upc;
      show(vm.upc.label, true);
    } else {
      show(vm.upc.label, false);
      vm.upc.value.textContent = '';
    }
    if (vm.stock.container) {
      const counted = typeof data.stock === 'number';
      vm.stock.container.classList.toggle('u-hiddenVisually', !counted);
      vm.stock.input.textContent = counted ? String(data.stock) : '';
    }
    if (vm.addToCart) {
      const canSell = Boolean(data.purchasable && (data.instock || data.available_to_sell > 0));
      vm.addToCart.disabled = !canSell;
      vm.addToCart.value = canSell ? 'Add to Cart' : 'Out of stock';
    }
  }

  function setProductVariant() {
    const parts = [];
    scope.querySelectorAll('[data-product-attribute="set-rectangle"], [data-product-attribute="set-radio"]').forEach((field) => {
      const checked = field.querySelector(':checked');
      const title = field.children[0].textContent.split(':')[0].trim();
      if (checked && checked.labels[0]) parts.push(`${title}:${checked.labels[0].textContent.trim()}`);
    });
    scope.querySelectorAll('[data-product-attribute="set-select"]').forEach((field) => {
      const select = field.querySelector('select');
      const title = field.children[0].textContent.split(':')[0].trim();
      if (select.selectedIndex > 0) parts.push(`${title}:${select.options[select.selectedIndex].textContent.trim()}`);
    });
    scope.setAttribute('data-product-variant', parts.sort().join(', '));
  }

  function productOptionsChanged(event) {
    const changed = event.target;
    if (changed.getAttribute('type') === 'file' || window.FormData === undefined) return;
    optionChange(productId, serialize(), (err, response) => {
      const data = response.data || {};
      const content = response.content || {};
      updateProductAttributes(data);
      updateView(data);
      document.dispatchEvent(new CustomEvent('onProductOptionsChanged', { bubbles: true, detail: { content, data } }));
    });
  }

  options.addEventListener('change', (event) => {
    productOptionsChanged(event);
    setProductVariant();
  });

  // Cornerstone adds to the cart with stencil-utils (api.cart.itemAdd); the test site
  // keeps no BigCommerce cart, so this only confirms in place.
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const status = form.querySelector('.cart-status');
    if (status) {
      status.hidden = false;
      status.textContent = 'Organic Tee was added to your cart.';
    }
  });

  const initial = (window.BCData && window.BCData.product_attributes) || {};
  const initialSelection = serialize();
  optionChange(productId, initialSelection, (err, response) => {
    if (err || !response || !response.data || serialize() !== initialSelection) return;
    updateProductAttributes(response.data);
    showMessageBox(response.data.stock_message || response.data.purchasing_message);
  });
  updateProductAttributes(initial);
  if (Object.keys(initial).length) updateView(initial);
  options.style.display = '';
})();
