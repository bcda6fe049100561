// Restock widget, main script. Bundled by esbuild with the wasm-bindgen glue (its
// `bundler` target: the import shims, no loader code) and `dom.js` into
// `www/widget/restock.<hash>.js`, which the loader (`widget.js`, the one tag a shop
// pastes) adds to the page together with the downloads it started.
// Mount points: <div data-restock-sku="SKU"></div> or <restock-availability sku="SKU">;
// data-restock-mode="compact" for collection tiles.
// It defines no globals but `Restock`, and never throws into the host page.
import * as glue from './glue_bg.js';
import * as dom from 'restock-dom';

const { call: wasm, inbox, Event } = glue;
const { hosts, on } = dom;

const R = (window.Restock = window.Restock || {});
const loaded = R._boot || {};
const script = loaded.script || document.currentScript;
const queued = [];
let ready = false;

// Calls into the wasm once it is running; queues them until then.
const call = (fn, ...args) => {
  if (!ready) return void queued.push(() => call(fn, ...args));
  try { fn(...args); } catch (_) { /* never throw into the host page */ }
};
// One event for the wasm (`Event` is Rust's definition): its text's fields, separated
// by \x1f, go as UTF-8 into the inbox the wasm makes room for.
const encoder = new TextEncoder();
const send = (event, n, m, ...fields) => {
  const bytes = encoder.encode(fields.join('\x1f'));
  const at = inbox(bytes.length); // may grow the memory: its buffer is read after
  new Uint8Array(on.memory.buffer, at, bytes.length).set(bytes);
  wasm(event, n, m);
};

// The wasm knows each mount by a number (`dom.js` keeps the element): the first call
// for an element mounts it, later ones switch its SKU when one is given.
const ids = new WeakMap();
function attach(el, sku) {
  const id = ids.get(el);
  if (id != null) return void (sku && send(Event.Sku, id, 0, sku));
  ids.set(el, hosts.push(el) - 1);
  const a = (name) => el.getAttribute(name) || '';
  send(Event.Mount, hosts.length - 1, 0, sku || a('data-restock-sku') || a('sku'), a('lang') || a('data-lang'), a('data-restock-mode'));
}

/** Switch a mounted widget to another SKU (a variant) without a reload. */
R.setSku = (el, sku) => call(attach, el, sku);
/** Fetch every widget's availability again (e.g. after your own cart changed stock). */
R.refresh = () => call(send, Event.Refresh, 0, 0);
// Calls the page made before this script arrived.
(loaded.queue || []).splice(0).forEach(([name, args]) => R[name](...args));

if (!customElements.get('restock-availability')) {
  customElements.define('restock-availability', class extends HTMLElement {
    static get observedAttributes() { return ['sku']; }
    connectedCallback() { call(attach, this); }
    attributeChangedCallback(_, old, sku) { if (old !== null && sku) call(attach, this, sku); }
  });
}

const WIDGETS = '[data-restock-sku],restock-availability';
const PLATFORM_SKU = '[data-product-sku]';

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
// map wins: a WooCommerce variation without a SKU of its own reports the parent's);
// `reset` goes back to each widget's own attribute (the product's SKU).
function follow(origin, { sku, id, reset }) {
  widgetsFor(origin).forEach((el) => {
    const next = reset ? el.getAttribute('data-restock-sku') || el.getAttribute('sku') : mapped(el, id) || sku;
    if (next) call(attach, el, next);
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
function woo() {
  const $ = window.jQuery;
  if (!$ || woo.on) return;
  woo.on = 1;
  $(document)
    .on('found_variation', 'form.variations_form', function (_, v) { follow(this, { sku: v && v.sku, id: v && v.variation_id }); })
    .on('reset_data', 'form.variations_form', function () { follow(this, { reset: 1 }); });
}

// BigCommerce (Cornerstone): after an option change the theme writes the chosen
// variant's SKU into [data-product-sku]; follow that text.
function skuText(node) {
  const el = node && (node.nodeType === 1 ? node : node.parentElement);
  const holder = el && el.closest(PLATFORM_SKU);
  const sku = holder && holder.textContent.trim();
  if (sku) follow(holder, { sku });
}

// Mount points added later (collection pages that load more), SKU changes made by
// setting the attribute, and platform SKU fields.
new MutationObserver((records) => {
  for (const r of records) {
    if (r.type === 'attributes') {
      const sku = r.target.getAttribute('data-restock-sku');
      if (sku) call(attach, r.target, sku);
      continue;
    }
    if (r.type === 'characterData' || (r.target.closest && r.target.closest(PLATFORM_SKU))) {
      skuText(r.target);
      continue;
    }
    for (const node of r.addedNodes) {
      if (node.nodeType !== 1) continue;
      if (node.matches('[data-restock-sku]')) call(attach, node);
      node.querySelectorAll('[data-restock-sku]').forEach((el) => call(attach, el));
    }
  }
}).observe(document.documentElement, {
  subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-restock-sku'],
});

// Shopify's Ajax Cart: with the shop's `backorder_mode: "event"` and no handler of the
// page's own, a backorder goes into the theme's cart as the variant with a line-item
// property that marks it, so payment happens in Shopify's checkout.
function shopifyCart(sku, quantity, host) {
  const shopify = window.Shopify;
  if (!shopify || !shopify.routes) return false;
  let id = '';
  for (const map of variantMaps(host)) {
    id = Object.keys(map).find((k) => map[k] === sku) || '';
    if (id) break;
  }
  if (!id) return false;
  return fetch((shopify.routes.root || '/') + 'cart/add.js', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ items: [{ id: Number(id), quantity, properties: { _restock: 'backorder' } }] }),
  }).then((r) => r.ok);
}
if (!R.cart) R.cart = shopifyCart;

async function boot() {
  const src = (script && script.src) || location.href;
  const data = (script && script.dataset) || {};
  const api = (data.api || new URL(src).origin).replace(/\/+$/, '');
  const lang = loaded.lang != null ? loaded.lang : data.lang || document.documentElement.lang || navigator.language || '';
  const packs = loaded.packs || {};
  let first = loaded.pack || [];
  // A language's texts: the download the loader started for the page's language, or
  // a new one (a mount in another language, or a retry).
  const pack = (tag) => {
    const got = first[0] == tag ? first[1] : packs[tag] ? fetch(new URL(packs[tag], src)) : Promise.reject();
    first = [];
    return got.then((r) => (r.ok ? r.text() : Promise.reject()));
  };
  Object.assign(on, {
    input: (id, el, value) => call(send, Event.Input, id, 0, el, value),
    answer: (token, status, text) => call(send, Event.Answer, token, status, text),
    tick: (token) => call(send, Event.Tick, token, 0),
    texts: () => call(send, Event.Texts, 0, 0),
    pack,
  });
  woo();
  document.addEventListener('DOMContentLoaded', woo);
  window.addEventListener('load', woo);
  // The loader started this download; it compiles while it streams (application/wasm).
  // The wasm imports wasm-bindgen's shims (`./glue_bg.js`) and `dom.js` (the snippet's
  // path), the two modules bundled here: what a bundler's wasm integration would do.
  const imports = new Proxy({}, { get: (_, name) => (name == './glue_bg.js' ? glue : dom) });
  const response = await loaded.wasm;
  const { instance } = await (WebAssembly.instantiateStreaming
    ? WebAssembly.instantiateStreaming(response, imports)
    : response.arrayBuffer().then((b) => WebAssembly.instantiate(b, imports)));
  glue.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  on.memory = instance.exports.memory;
  send(Event.Start, 0, 0, data.shop || '', api, lang);
  ready = true;
  document.querySelectorAll('[data-restock-sku]').forEach((el) => call(attach, el));
  queued.splice(0).forEach((f) => f());
  // WooCommerce may have announced its default variation before we listened.
  document.querySelectorAll('form.variations_form input.variation_id').forEach((i) => { if (+i.value) follow(i, { id: i.value }); });
  // A product page opened on a variant (`?variant=<id>`, Shopify).
  const variant = new URLSearchParams(location.search).get('variant');
  if (variant) document.querySelectorAll(WIDGETS).forEach((el) => { const sku = mapped(el, variant); if (sku) call(attach, el, sku); });
}

boot().catch(() => {
  // The shop's own page (and add-to-cart) must keep working whatever happens here.
});
