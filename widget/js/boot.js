// Restock widget loader. Bundled by esbuild (with the wasm-bindgen glue) into one
// IIFE, `www/widget/widget.js`, so a shop needs exactly one tag:
//   <script src="https://<restock>/widget/widget.js" data-shop="your-shop" async></script>
// Mount points: <div data-restock-sku="SKU"></div> or <restock-availability sku="SKU">.
// It defines no globals but `Restock`, never throws into the host page, and loads
// `widget.wasm` from next to itself.
import init, { start, mount, setSku, refresh } from './glue.js';

const script = document.currentScript;
const queued = [];
let ready = false;

// Calls into the wasm once it is running; queues them until then.
const call = (fn, ...args) => {
  if (!ready) return void queued.push(() => call(fn, ...args));
  try { fn(...args); } catch (_) { /* never throw into the host page */ }
};

const api = {
  /** Switch a mounted widget to another SKU (a variant) without a reload. */
  setSku: (el, sku) => call(setSku, el, String(sku)),
  /** Fetch every widget's availability again (e.g. after your own cart changed stock). */
  refresh: () => call(refresh),
};
window.Restock = Object.assign(window.Restock || {}, api);

if (!customElements.get('restock-availability')) {
  customElements.define('restock-availability', class extends HTMLElement {
    static get observedAttributes() { return ['sku']; }
    connectedCallback() { call(mount, this); }
    attributeChangedCallback(_, old, sku) { if (old !== null && sku) call(setSku, this, sku); }
  });
}

// Mount points added later (collection pages that load more) and SKU changes made by
// setting the attribute.
new MutationObserver((records) => {
  for (const r of records) {
    if (r.type === 'attributes') {
      const sku = r.target.getAttribute('data-restock-sku');
      if (sku) call(setSku, r.target, sku);
      continue;
    }
    for (const node of r.addedNodes) {
      if (node.nodeType !== 1) continue;
      if (node.matches('[data-restock-sku]')) call(mount, node);
      node.querySelectorAll('[data-restock-sku]').forEach((el) => call(mount, el));
    }
  }
}).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-restock-sku'] });

// Variant pickers: a <select> whose chosen <option> has data-sku, an input with
// data-sku (radio buttons), or any control marked data-restock-variant (its value is
// the SKU); or a `restock:variant` event whose detail is the SKU (or { sku }). The
// widgets switched are those in the same product ([data-restock-product] or form),
// the widget itself for an event dispatched on it, or every widget on the page.
const WIDGETS = '[data-restock-sku],restock-availability';
function follow(origin, sku) {
  if (!sku) return;
  const own = origin.matches && origin.matches(WIDGETS) ? [origin] : null;
  const scope = origin.closest && origin.closest('[data-restock-product],form');
  let targets = own || (scope ? [...scope.querySelectorAll(WIDGETS)] : []);
  if (!targets.length) targets = [...document.querySelectorAll(WIDGETS)];
  targets.forEach((el) => call(setSku, el, sku));
}
document.addEventListener('change', (e) => {
  const t = e.target;
  if (!t || !t.getAttribute) return;
  if (t.hasAttribute('data-restock-variant')) return follow(t, t.value);
  if (t.tagName === 'SELECT') {
    const o = t.querySelector('option:checked');
    return follow(t, o && o.getAttribute('data-sku'));
  }
  if (t.checked) follow(t, t.getAttribute('data-sku'));
}, true);
document.addEventListener('restock:variant', (e) => {
  const d = e.detail;
  follow(e.target, typeof d === 'string' ? d : d && d.sku);
});

async function boot() {
  const src = (script && script.src) || location.href;
  const data = (script && script.dataset) || {};
  const api = (data.api || new URL(src).origin).replace(/\/+$/, '');
  const lang = data.lang || document.documentElement.lang || navigator.language || '';
  await init({ module_or_path: new URL('widget.wasm', src) });
  start(data.shop || '', api, lang);
  ready = true;
  queued.splice(0).forEach((f) => f());
}

boot().catch(() => {
  // The shop's own page (and add-to-cart) must keep working whatever happens here.
});
