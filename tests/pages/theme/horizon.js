// A stand-in for Shopify Horizon's product page modules (written for these tests, not
// copied): <variant-picker> (assets/variant-picker.js), <product-form-component>
// (assets/product-form.js), <product-sku-component> (assets/product-sku.js),
// <product-price> and the <product-component> view-event element, with the standard
// storefront events of Shopify's standard-events library
// (https://cdn.shopify.com/storefront/standard-events.js; types in Horizon's
// assets/standard-events.d.ts).
//
// Horizon 4.x (since v4.0.0), what an option pick does, in order:
//   1. the radio's native `change` bubbles to <variant-picker>;
//   2. synchronously, <variant-picker> dispatches `shopify:product:select` on itself: a
//      plain Event (bubbles) whose payload is on the event object itself —
//      event.product {id: "gid://shopify/Product/N", title, handle},
//      event.selectedOptions [{name, value}], event.detail (Horizon's extras:
//      {optionValueId, variantId: "N" or "", connectedProductUrl}) and event.promise;
//   3. it asks the Section Rendering API for the new picker (here: a timer and the
//      JSON block at the end of the page) and, in a task after the dispatch,
//      history.replaceState(`?variant=N`);
//   4. event.promise resolves with {variant: {id: "gid://shopify/ProductVariant/N",
//      title, availableForSale, price {amount, currencyCode}, selectedOptions} or null,
//      detail: {html, productId, newProduct, sourceId, resource}} where resource is the
//      Liquid variant JSON (id as a number, sku, available, ...). A newer pick aborts
//      the request: the older event's promise rejects with an AbortError.
//   5. <product-form-component> sets input[name="id"].value — with no `change` event —
//      and enables or disables the button; <product-sku-component> and
//      <product-price> update their text.
//
// `?horizon=3` reproduces Horizon 3.x instead (before the standard events): the pick
// dispatches `variant:selected` (Event, bubbles, detail {resource: {id: optionValueId}})
// and, after the fetch, `variant:update` (Event, bubbles, detail {resource: <variant
// JSON> | null, sourceId, data: {html, productId, newProduct}}), both on <variant-picker>.
//
// Load: the server renders `?variant=N` (checked value, hidden id, SKU, price); this
// file stands in for that for the theme's own parts and fires no selection event.

const SECTION_FETCH_MS = 40;
const LEGACY = new URLSearchParams(window.location.search).get('horizon') === '3';

const server = (() => {
  try {
    return JSON.parse(document.querySelector('script[data-test-section-rendering]')?.textContent || '{}');
  } catch {
    return {};
  }
})();
const variants = server.variants || [];
const currencyCode = server.currencyCode || 'EUR';

const money = (cents) => `€${(cents / 100).toFixed(2).replace('.', ',')}`;
const toGid = (type, id) => {
  const value = String(id ?? '');
  return value.startsWith('gid://shopify/') ? value : `gid://shopify/${type}/${value}`;
};
const yieldToMainThread = () => new Promise((resolve) => setTimeout(resolve, 0));
const refs = (root, name) => root.querySelector(`[ref="${name}"]`);

// --- @shopify/events, as far as these pages use it ---------------------------------

class ShopifyStandardEvent extends Event {
  constructor(type, payload, options = { bubbles: true }) {
    super(type, options);
    Object.assign(this, payload);
  }
}

class ProductSelectEvent extends ShopifyStandardEvent {
  static eventName = 'shopify:product:select';

  static createPromise() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  }

  constructor(payload) {
    super(ProductSelectEvent.eventName, { ...payload, product: { ...payload.product, id: toGid('Product', payload.product.id) } });
  }
}

class ProductViewEvent extends ShopifyStandardEvent {
  static eventName = 'shopify:product:view';

  constructor(payload) {
    super(ProductViewEvent.eventName, payload);
  }
}

// --- Horizon 3.x theme events (assets/events.js before v4.0.0) ----------------------

class VariantSelectedEvent extends Event {
  constructor(resource) {
    super('variant:selected', { bubbles: true });
    this.detail = { resource };
  }
}

class VariantUpdateEvent extends Event {
  constructor(resource, sourceId, data) {
    super('variant:update', { bubbles: true });
    this.detail = {
      resource: resource || null,
      sourceId,
      data: { html: data.html, productId: data.productId, newProduct: data.newProduct },
    };
  }
}

// Listens where Horizon's components do, for whichever event this page reproduces.
// `onResult(detail)` gets {html, productId, newProduct, resource} once the variant is known.
function onVariantResolved(target, onResult) {
  if (!target) return;
  if (LEGACY) {
    target.addEventListener('variant:update', (event) => {
      const { resource, data } = event.detail;
      onResult({ ...data, resource });
    });
    return;
  }
  target.addEventListener(ProductSelectEvent.eventName, (event) => {
    event.promise
      .then(({ detail }) => detail && onResult(detail))
      .catch((error) => {
        if (error?.name !== 'AbortError') console.warn('[horizon] product select failed', error);
      });
  });
}

function findVariant(selectedOptions) {
  return variants.find((variant) => selectedOptions.every(({ value }, i) => variant.options[i] === value)) ?? null;
}

function sectionHtml(variant) {
  const doc = document.implementation.createHTMLDocument('section');
  const picker = doc.createElement('variant-picker');
  const json = doc.createElement('script');
  json.type = 'application/json';
  json.textContent = JSON.stringify(variant);
  picker.append(json);
  const form = doc.createElement('product-form-component');
  const button = doc.createElement('button');
  button.setAttribute('ref', 'addToCartButton');
  button.textContent = variant && !variant.available ? 'Sold out' : 'Add to cart';
  if (!variant || !variant.available) button.disabled = true;
  form.append(button);
  doc.body.append(picker, form);
  return doc;
}

class VariantPicker extends HTMLElement {
  #pending;

  connectedCallback() {
    this.addEventListener('change', (event) => this.variantChanged(event));
    this.renderServerSide();
  }

  variantChanged(event) {
    if (!(event.target instanceof HTMLElement)) return;
    const selectedOption = event.target instanceof HTMLSelectElement ? event.target.options[event.target.selectedIndex] : event.target;
    if (!selectedOption) return;
    this.updateSelectedOption(event.target);

    const { optionValueId = '', variantId = '', connectedProductUrl = '' } = selectedOption.dataset;
    if (LEGACY) this.dispatchEvent(new VariantSelectedEvent({ id: optionValueId }));
    this.fetchUpdatedSection({ optionValueId, variantId, connectedProductUrl });

    const url = new URL(window.location.href);
    if (this.dataset.templateProductMatch === 'true') {
      if (variantId) url.searchParams.set('variant', variantId);
      else url.searchParams.delete('variant');
    }
    if (url.href !== window.location.href) {
      yieldToMainThread().then(() => history.replaceState({}, '', url.toString()));
    }
  }

  updateSelectedOption(target) {
    if (target instanceof HTMLInputElement) {
      target.closest('fieldset')?.querySelectorAll('input').forEach((radio) => {
        const current = radio === target;
        radio.dataset.previousChecked = String(radio.dataset.currentChecked === 'true' && !current);
        radio.dataset.currentChecked = String(current);
      });
      target.checked = true;
    }
    if (target instanceof HTMLSelectElement) {
      for (const option of target.options) option.toggleAttribute('selected', option.value === target.value);
    }
  }

  getAllSelectedOptions() {
    const options = [];
    for (const select of this.querySelectorAll('select')) {
      const selected = select.selectedOptions[0];
      if (selected?.dataset.optionName) options.push({ name: selected.dataset.optionName, value: selected.value });
    }
    for (const input of this.querySelectorAll('fieldset input:checked')) {
      if (input.dataset.optionName) options.push({ name: input.dataset.optionName, value: input.value });
    }
    return options;
  }

  fetchUpdatedSection(detail) {
    // A newer request aborts the pending one; its promise rejects, as fetch would.
    if (this.#pending) {
      clearTimeout(this.#pending.timer);
      this.#pending.deferred?.reject(new DOMException('The user aborted a request.', 'AbortError'));
    }
    const selectedOptions = this.getAllSelectedOptions();
    const productId = this.dataset.productId ?? '';
    const deferred = LEGACY ? null : ProductSelectEvent.createPromise();
    if (deferred) {
      this.dispatchEvent(
        new ProductSelectEvent({
          product: { id: productId, title: this.dataset.productTitle ?? '', handle: this.dataset.productHandle ?? '' },
          selectedOptions,
          detail,
          promise: deferred.promise,
        }),
      );
    }
    const timer = setTimeout(() => {
      this.#pending = undefined;
      const variant = findVariant(selectedOptions);
      const html = sectionHtml(variant);
      const json = this.querySelector('script[type="application/json"]');
      if (json) json.textContent = JSON.stringify(variant);
      const data = { html, productId, newProduct: undefined };
      if (LEGACY) {
        this.dispatchEvent(new VariantUpdateEvent(variant, detail.optionValueId, data));
        return;
      }
      deferred.resolve({
        variant: variant
          ? {
              id: toGid('ProductVariant', variant.id),
              title: variant.title,
              availableForSale: variant.available,
              price: { amount: (variant.price / 100).toFixed(1), currencyCode },
              selectedOptions,
            }
          : null,
        detail: { ...data, sourceId: detail.optionValueId, resource: variant },
      });
    }, SECTION_FETCH_MS);
    this.#pending = { timer, deferred };
  }

  // What the server renders for ?variant=N.
  renderServerSide() {
    const requested = new URLSearchParams(window.location.search).get('variant');
    const variant = requested && variants.find((v) => String(v.id) === requested);
    if (!variant) return;
    this.querySelectorAll('fieldset').forEach((fieldset, i) => {
      fieldset.querySelectorAll('input').forEach((radio) => {
        const on = radio.value === variant.options[i];
        radio.checked = on;
        radio.dataset.currentChecked = String(on);
      });
    });
    const json = this.querySelector('script[type="application/json"]');
    if (json) json.textContent = JSON.stringify(variant);
    const section = this.closest('.shopify-section');
    const input = section?.querySelector('product-form-component [ref="variantId"]');
    if (input) input.value = String(variant.id);
    const sku = section?.querySelector('product-sku-component [ref="sku"]');
    if (sku) sku.textContent = variant.sku;
    const price = section?.querySelector('product-price .price .price');
    if (price) price.textContent = money(variant.price);
    const button = section?.querySelector('[ref="addToCartButton"]');
    if (button && !variant.available) {
      button.disabled = true;
      button.textContent = 'Sold out';
    }
  }
}

class ProductSkuComponent extends HTMLElement {
  connectedCallback() {
    const target = this.closest('[id*="ProductInformation-"], [id*="QuickAdd-"], product-card');
    onVariantResolved(target, ({ productId, resource }) => {
      if (productId && productId !== this.dataset.productId) return;
      if (!resource) return;
      const sku = refs(this, 'sku');
      this.hidden = !resource.sku;
      if (sku) sku.textContent = resource.sku || '';
    });
  }
}

class ProductPrice extends HTMLElement {
  connectedCallback() {
    onVariantResolved(this.closest('.shopify-section'), ({ resource }) => {
      const price = this.querySelector('.price .price');
      if (price && resource) price.textContent = money(resource.price);
    });
  }
}

class ProductFormComponent extends HTMLElement {
  connectedCallback() {
    onVariantResolved(this.closest('.shopify-section, dialog, product-card'), ({ html, productId, resource }) => {
      if (productId && productId !== this.dataset.productId) return;
      refs(this, 'variantId').value = resource?.id ?? '';
      const button = refs(this, 'addToCartButton');
      const fresh = html?.querySelector('product-form-component [ref="addToCartButton"]');
      if (button) {
        button.disabled = resource == null || resource.available === false;
        if (fresh) button.textContent = fresh.textContent;
      }
    });
    this.querySelector('form')?.addEventListener('submit', (event) => this.handleSubmit(event));
  }

  // Horizon adds to the cart with a fetch to routes.cart_add_url; this posts the JSON
  // form of Shopify's Ajax Cart API that the test site answers.
  async handleSubmit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const live = refs(this, 'liveRegion');
    const id = Number(new FormData(form).get('id'));
    try {
      const response = await fetch(`${window.Shopify.routes.root}cart/add.js`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ items: [{ id, quantity: 1 }] }),
      });
      const body = await response.json();
      if (live) live.textContent = body.status ? body.description : 'Added to your cart.';
    } catch (error) {
      if (live) live.textContent = String(error);
    }
  }
}

// <product-component>: createViewEventElement(Component, { defaultTrigger: 'intersect' }).
// Horizon 3.x had no standard events, so `?horizon=3` dispatches no view event.
class ProductComponent extends HTMLElement {
  connectedCallback() {
    if (LEGACY) return;
    let payload;
    try {
      payload = JSON.parse(this.getAttribute('view-event-payload') || 'null');
    } catch {
      payload = null;
    }
    if (!payload) return;
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      observer.disconnect();
      this.dispatchEvent(new ProductViewEvent(payload));
    });
    observer.observe(this);
  }
}

// Inner elements first, so <variant-picker>'s load rendering finds them upgraded.
const define = (name, element) => customElements.get(name) || customElements.define(name, element);
define('product-sku-component', ProductSkuComponent);
define('product-price', ProductPrice);
define('product-form-component', ProductFormComponent);
define('variant-picker', VariantPicker);
define('product-component', ProductComponent);
