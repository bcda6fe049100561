// Restock widget, main script. Bundled by esbuild with the wasm-bindgen glue (its
// `bundler` target: the exports' shims, no loader code) and `dom.js` (the forms) into
// `www/widget/restock.<hash>.js`, which the loader (`widget.js`, the one tag a shop
// pastes) adds to the page together with the downloads it started. The loader has
// already mounted the widgets and painted their status; this script follows the
// platforms' variant pickers, mounts what comes later, and starts the wasm (the
// domain's rules, `widget/src/rules.rs`) and with it the forms (`dom.js`).
// Mount points: <div data-restock-sku="SKU"></div>, <div data-restock-variant-id="ID">
// (optionally data-restock-platform="shopify"), or <restock-availability sku="SKU">;
// data-restock-mode="compact" for collection tiles.
// It defines no globals but `Restock`, and never throws into the host page.
import * as glue from './glue_bg.js';
import * as dom from './dom.js';

const R = window.Restock || {};
const B = R._boot;

const WIDGETS = '[data-restock-sku],[data-restock-variant-id],restock-availability';
const PLATFORM_SKU = '[data-product-sku]';
const attach = (el, sku, variant) => B.attach(el, sku, variant);

// The `data-restock-variants` JSON maps ({"<variant id>": "<SKU>"}) on `el` and its
// ancestors, nearest first (theme snippets print one); a broken map maps nothing.
function* variantMaps(el) {
  for (let e = el; e; e = e.parentElement) {
    const map = e.getAttribute('data-restock-variants');
    if (!map) continue;
    try { yield JSON.parse(map); } catch (_) { /* skip it */ }
  }
}

// The SKU of a platform variant id for the widget `el`.
function mapped(el, id) {
  if (id == null) return '';
  for (const map of variantMaps(el)) if (map[id]) return String(map[id]);
  return '';
}

// The widgets a variant change at `origin` is for: the widget itself, else those in
// the nearest ancestor that holds any (the product form, the product section, the
// collection tile), else every widget on the page.
function widgetsFor(origin) {
  for (let e = origin && origin.nodeType === 1 ? origin : null; e; e = e.parentElement) {
    if (e.matches(WIDGETS)) return [e];
    const found = e.querySelectorAll(WIDGETS);
    if (found.length) return [...found];
  }
  return [...document.querySelectorAll(WIDGETS)];
}

// Switches those widgets to the SKU their map gives variant `id`, else to `sku` (the
// map wins: a WooCommerce variation without a SKU of its own reports the parent's),
// else, for a widget mounted by platform variant id, to variant `id` itself (no map
// needed: the Worker knows the variant); `reset` goes back to each widget's own
// attributes (the product's SKU or variant).
function follow(origin, { sku, id, reset }) {
  widgetsFor(origin).forEach((el) => {
    const a = (n) => el.getAttribute(n) || '';
    const own = a('data-restock-variant-id');
    if (reset) return attach(el, a('data-restock-sku') || a('sku'), own);
    const next = mapped(el, id) || sku;
    if (next) attach(el, next);
    // Only a platform's id (digits) switches a widget mounted by one: a page's own
    // `?variant=blue` must not blank it.
    else if (own && /^\d{1,64}$/.test(id)) attach(el, '', String(id));
  });
}

function adapters() {
  /** Switch a mounted widget to another SKU (a variant) without a reload. */
  R.setSku = (el, sku) => attach(el, sku);
  /** Fetch every widget's availability again (e.g. after your own cart changed stock). */
  R.refresh = () => B.read(1);
  // Calls the page made before this script arrived.
  B.queue.splice(0).forEach(([name, args]) => R[name](...args));

  if (!customElements.get('restock-availability')) {
    customElements.define('restock-availability', class extends HTMLElement {
      static get observedAttributes() { return ['sku']; }
      connectedCallback() { attach(this); }
      attributeChangedCallback(_, old, sku) { if (old !== null && sku) attach(this, sku); }
    });
  }

  document.addEventListener('change', (e) => {
    const t = e.target;
    if (!t || !t.getAttribute) return;
    if (t.hasAttribute('data-restock-variant')) return follow(t, { sku: t.value });
    // Shopify themes (Dawn and its kin): the product form's variant id field changes.
    if (t.name === 'id' && t.closest('form[action*="/cart/add"]')) return follow(t, { id: t.value });
    if (t.tagName === 'SELECT') {
      const o = t.querySelector('option:checked');
      return follow(t, { sku: o && o.getAttribute('data-sku') });
    }
    if (t.checked) follow(t, { sku: t.getAttribute('data-sku') });
  }, true);

  document.addEventListener('restock:variant', (e) => {
    const d = e.detail;
    follow(e.target, typeof d === 'string' ? { sku: d } : { sku: d && d.sku, id: d && d.id });
  });

  // Shopify's standard storefront event for a chosen variant (Horizon 4 and later):
  // `shopify:product:select`, a plain Event whose `detail.variantId` is the variant's id
  // and whose `promise` resolves with the variant's data (its sku in `detail.resource`).
  document.addEventListener('shopify:product:select', (e) => {
    const t = e.target;
    const id = e.detail && e.detail.variantId;
    if (id) follow(t, { id });
    if (e.promise && e.promise.then) {
      e.promise.then((r) => {
        const v = r && r.detail && r.detail.resource;
        if (v && v.sku) follow(t, { sku: v.sku });
      }, () => { /* a newer pick superseded it */ });
    }
  });
  // Horizon 3: `variant:update` with the variant in `detail.resource`.
  document.addEventListener('variant:update', (e) => {
    const v = e.detail && e.detail.resource;
    if (v) follow(e.target, { sku: v.sku, id: v.id });
  });

  // WooCommerce: add-to-cart-variation.js announces the variation through jQuery
  // (`found_variation` with its data, `reset_data` when cleared), not DOM events.
  const woo = () => {
    const $ = window.jQuery;
    if (!$ || woo.on) return;
    woo.on = 1;
    $(document)
      .on('found_variation', 'form.variations_form', function (_, v) { follow(this, { sku: v && v.sku, id: v && v.variation_id }); })
      .on('reset_data', 'form.variations_form', function () { follow(this, { reset: 1 }); });
  };
  woo();
  document.addEventListener('DOMContentLoaded', woo);
  window.addEventListener('load', woo);

  // BigCommerce (Cornerstone): after an option change the theme writes the chosen
  // variant's SKU into [data-product-sku]; follow that text.
  const skuText = (node) => {
    const el = node && (node.nodeType === 1 ? node : node.parentElement);
    const holder = el && el.closest(PLATFORM_SKU);
    const sku = holder && holder.textContent.trim();
    if (sku) follow(holder, { sku });
  };

  // Mount points added later (collection pages that load more), SKU or variant changes
  // made by setting the attribute, and platform SKU fields.
  new MutationObserver((records) => {
    for (const r of records) {
      const t = r.target;
      if (r.type === 'attributes') {
        attach(t, t.getAttribute('data-restock-sku'), t.getAttribute('data-restock-variant-id'));
        continue;
      }
      if (r.type === 'characterData' || (t.closest && t.closest(PLATFORM_SKU))) {
        skuText(t);
        continue;
      }
      for (const node of r.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.matches(WIDGETS)) attach(node);
        node.querySelectorAll(WIDGETS).forEach((el) => attach(el));
      }
    }
  }).observe(document.documentElement, {
    subtree: true, childList: true, characterData: true, attributes: true,
    attributeFilter: ['data-restock-sku', 'data-restock-variant-id'],
  });
  document.querySelectorAll(WIDGETS).forEach((el) => attach(el));

  // Shopify's Ajax Cart: with the shop's `backorder_mode: "event"` and no handler of the
  // page's own, a backorder goes into the theme's cart as the variant (from a map, or
  // the one the widget was mounted by) with a line-item property that marks it, so
  // payment happens in Shopify's checkout.
  if (!R.cart) {
    R.cart = (sku, quantity, host) => {
      const shopify = window.Shopify;
      if (!shopify || !shopify.routes) return false;
      let id = '';
      for (const map of variantMaps(host)) {
        id = Object.keys(map).find((k) => map[k] === sku) || '';
        if (id) break;
      }
      const w = B.W.find((w) => w.el === host);
      if (!id && w && w.variant && w.seen && w.seen.item && w.seen.item.sku === sku) id = w.variant;
      if (!id) return false;
      return fetch((shopify.routes.root || '/') + 'cart/add.js', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ items: [{ id: Number(id), quantity, properties: { _restock: 'backorder' } }] }),
      }).then((r) => r.ok);
    };
  }

  // WooCommerce may have announced its default variation before we listened.
  document.querySelectorAll('form.variations_form input.variation_id').forEach((i) => { if (+i.value) follow(i, { id: i.value }); });
  // A product page opened on a variant (`?variant=<id>`, Shopify).
  const variant = new URLSearchParams(location.search).get('variant');
  if (variant) document.querySelectorAll(WIDGETS).forEach((el) => follow(el, { id: variant }));
}

async function boot() {
  const src = B.script.src;
  let first = B.pack;
  // The loader started this download; it compiles while it streams (application/wasm).
  // It imports only wasm-bindgen's shims (`./glue_bg.js`), bundled here.
  const response = await B.wasm;
  const imports = { './glue_bg.js': glue };
  const { instance } = await (WebAssembly.instantiateStreaming
    ? WebAssembly.instantiateStreaming(response, imports)
    : response.arrayBuffer().then((b) => WebAssembly.instantiate(b, imports)));
  const x = instance.exports, encoder = new TextEncoder(), decoder = new TextDecoder();
  glue.__wbg_set_wasm(x);
  if (x.__wbindgen_start) x.__wbindgen_start();
  Object.assign(dom.on, {
    B,
    Rule: glue.Rule,
    // A rule of the wasm's (`Rule` is Rust's definition): the text goes as UTF-8 into
    // the inbox it makes room for; the value comes back from its outbox, or null.
    // (A trap, which only running out of memory could cause, refuses too.)
    check: (rule, text, n) => {
      try {
        const bytes = encoder.encode(text);
        const at = glue.inbox(bytes.length); // may grow the memory: its buffer is read after
        new Uint8Array(x.memory.buffer, at, bytes.length).set(bytes);
        const len = glue.check(rule, n || 0);
        return len < 0 ? null : decoder.decode(new Uint8Array(x.memory.buffer, glue.outbox(), len));
      } catch (_) {
        return null;
      }
    },
    // A language's texts: the download the loader started for its guess, or a new one
    // (another language, or a retry).
    pack: (tag) => {
      const got = first[0] == tag ? first[1] : B.packs[tag] ? fetch(new URL(B.packs[tag], src)) : Promise.reject();
      first = [];
      return got.then((r) => (r.ok ? r.text() : Promise.reject()));
    },
  });
  // Each widget, now and later: its form, and each answer the loader gets for it.
  B.on.mount = dom.mount;
  B.on.item = dom.item;
  B.W.forEach((_, id) => { dom.mount(id); dom.item(id); });
}

if (B && !B.main) {
  B.main = 1;
  try { adapters(); } catch (_) { /* the shop's own page must keep working */ }
  boot().catch(() => {
    // The shop's own page (and add-to-cart) must keep working whatever happens here.
  });
}
