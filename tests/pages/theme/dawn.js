// A stand-in for Shopify Dawn's product page scripts (written for these tests, not
// copied): the <variant-selects>, <product-info> and <product-form> custom elements of
// Dawn's assets/global.js, assets/product-info.js, assets/product-form.js and the
// pub/sub of assets/pubsub.js. What a shopper's option pick does, in Dawn's order:
//
//   1. the radio's native `change` bubbles to <variant-selects>, which publishes
//      "option-value-selection-change" with the selected option value ids;
//   2. <product-info> asks the Section Rendering API for the new variant (here: a short
//      timer, then the variant is looked up in the page's variants JSON — the
//      `<script type="application/json">` inside <variant-selects> that Dawn up to
//      v14 shipped, and that v15 replaced by one `[data-selected-variant]` JSON);
//   3. it updates `[data-selected-variant]`, then history.replaceState(`?variant=ID`),
//      then sets `input[name="id"]` of the product form and dispatches a bubbling
//      native `change` on it, then price, SKU line and the buy button.
//
// Load: Shopify renders the page for `?variant=ID` on the server. This file stands in
// for that rendering of the theme's own parts (checked radio, hidden id, SKU line,
// price, button) and fires no event; the Restock mount is left as printed.
(() => {
  'use strict';

  const SECTION_FETCH_MS = 40;

  // assets/constants.js + assets/pubsub.js
  const PUB_SUB_EVENTS = {
    optionValueSelectionChange: 'option-value-selection-change',
    variantChange: 'variant-change',
    cartUpdate: 'cart-update',
    cartError: 'cart-error',
  };
  const subscribers = {};
  const subscribe = (name, callback) => {
    (subscribers[name] = subscribers[name] || []).push(callback);
    return () => {
      subscribers[name] = subscribers[name].filter((cb) => cb !== callback);
    };
  };
  const publish = (name, data) => Promise.all((subscribers[name] || []).map((cb) => cb(data)));
  window.PUB_SUB_EVENTS = PUB_SUB_EVENTS;
  window.subscribe = subscribe;
  window.publish = publish;

  const money = (cents) => `€${(cents / 100).toFixed(2).replace('.', ',')} EUR`;

  class VariantSelects extends HTMLElement {
    connectedCallback() {
      this.addEventListener('change', (event) => {
        const target = event.target.tagName === 'SELECT' ? event.target.selectedOptions[0] : event.target;
        this.updateSelectionMetadata(event.target);
        publish(PUB_SUB_EVENTS.optionValueSelectionChange, {
          data: { event, target, selectedOptionValues: this.selectedOptionValues },
        });
      });
    }

    updateSelectionMetadata(target) {
      if (target.tagName === 'SELECT' && target.selectedOptions.length) {
        for (const option of target.options) option.removeAttribute('selected');
        target.selectedOptions[0].setAttribute('selected', 'selected');
      } else if (target.tagName === 'INPUT' && target.type === 'radio') {
        const shown = target.closest('.product-form__input')?.querySelector('[data-selected-value]');
        if (shown) shown.textContent = target.value;
      }
    }

    get selectedOptionValues() {
      return Array.from(this.querySelectorAll('select option[selected], fieldset input:checked'), (el) => el.dataset.optionValueId);
    }

    // The option values (by position) the selection stands for.
    get selectedOptions() {
      return Array.from(this.querySelectorAll('select, fieldset'), (el) =>
        el.tagName === 'SELECT' ? el.value : el.querySelector('input:checked')?.value,
      );
    }

    get variants() {
      const script = this.querySelector('script[type="application/json"]:not([data-selected-variant])');
      try {
        return JSON.parse(script?.textContent || '[]');
      } catch {
        return [];
      }
    }

    set selectedVariant(variant) {
      const script = this.querySelector('script[data-selected-variant]');
      if (script) script.textContent = JSON.stringify(variant ?? null);
    }
  }

  class ProductInfo extends HTMLElement {
    connectedCallback() {
      this.unsubscribe = subscribe(PUB_SUB_EVENTS.optionValueSelectionChange, this.handleOptionValueChange.bind(this));
      this.renderServerSide();
      this.dispatchEvent(new CustomEvent('product-info:loaded', { bubbles: true }));
    }

    disconnectedCallback() {
      this.unsubscribe?.();
    }

    get sectionId() {
      return this.dataset.section;
    }

    get variantSelectors() {
      return this.querySelector('variant-selects');
    }

    get productForm() {
      return this.querySelector('product-form');
    }

    handleOptionValueChange({ data: { event } }) {
      if (!this.contains(event.target)) return;
      this.productForm?.toggleSubmitButton(true);
      this.productForm?.handleErrorMessage();
      // A newer pick aborts the pending section request, as Dawn's AbortController does.
      clearTimeout(this.pending);
      this.pending = setTimeout(() => this.handleUpdateProductInfo(this.findVariant()), SECTION_FETCH_MS);
    }

    findVariant(options = this.variantSelectors?.selectedOptions ?? []) {
      return this.variantSelectors?.variants.find((variant) => variant.options.every((value, i) => value === options[i])) ?? null;
    }

    handleUpdateProductInfo(variant) {
      this.variantSelectors.selectedVariant = variant;
      this.updateURL(variant?.id);
      this.updateVariantInputs(variant?.id);
      if (!variant) {
        this.setUnavailable();
        return;
      }
      this.renderVariant(variant);
      publish(PUB_SUB_EVENTS.variantChange, { data: { sectionId: this.sectionId, variant } });
    }

    renderVariant(variant) {
      const price = this.querySelector(`#price-${this.sectionId}`);
      const sku = this.querySelector(`#Sku-${this.sectionId}`);
      price?.classList.remove('hidden');
      const regular = price?.querySelector('.price-item--regular');
      if (regular) regular.textContent = money(variant.price);
      if (sku) {
        sku.classList.toggle('hidden', !variant.sku);
        sku.innerHTML = '';
        const label = document.createElement('span');
        label.className = 'visually-hidden';
        label.textContent = 'SKU:';
        sku.append(label, variant.sku || '');
      }
      this.productForm?.toggleSubmitButton(!variant.available, window.variantStrings.soldOut);
    }

    updateURL(variantId) {
      if (this.dataset.updateUrl === 'false') return;
      window.history.replaceState({}, '', `${this.dataset.url}${variantId ? `?variant=${variantId}` : ''}`);
    }

    updateVariantInputs(variantId) {
      this.querySelectorAll(`#product-form-${this.sectionId}, #product-form-installment-${this.sectionId}`).forEach((form) => {
        const input = form.querySelector('input[name="id"]');
        input.value = variantId ?? '';
        input.dispatchEvent(new Event('change', { bubbles: true }));
      });
    }

    setUnavailable() {
      this.productForm?.toggleSubmitButton(true, window.variantStrings.unavailable);
      ['price', 'Sku'].forEach((id) => this.querySelector(`#${id}-${this.sectionId}`)?.classList.add('hidden'));
    }

    // What the server renders for /products/handle?variant=ID (no events).
    renderServerSide() {
      const requested = new URLSearchParams(window.location.search).get('variant');
      if (!requested) return;
      const variant = this.variantSelectors?.variants.find((v) => String(v.id) === requested);
      if (!variant) return;
      this.variantSelectors.querySelectorAll('fieldset').forEach((fieldset, i) => {
        fieldset.querySelectorAll('input[type="radio"]').forEach((radio) => {
          radio.checked = radio.value === variant.options[i];
        });
      });
      this.variantSelectors.selectedVariant = variant;
      const input = this.querySelector(`#product-form-${this.sectionId} input[name="id"]`);
      if (input) input.value = String(variant.id);
      this.renderVariant(variant);
    }
  }

  class ProductForm extends HTMLElement {
    connectedCallback() {
      this.form = this.querySelector('form');
      this.variantIdInput.disabled = false;
      this.submitButton = this.querySelector('[type="submit"]');
      this.submitButtonText = this.submitButton.querySelector('span');
      this.form.addEventListener('submit', (event) => this.onSubmitHandler(event));
    }

    get variantIdInput() {
      return this.form.querySelector('[name="id"]');
    }

    toggleSubmitButton(disable = true, text) {
      if (disable) {
        this.submitButton.setAttribute('disabled', 'disabled');
        if (text) this.submitButtonText.textContent = text;
      } else {
        this.submitButton.removeAttribute('disabled');
        this.submitButtonText.textContent = window.variantStrings.addToCart;
      }
    }

    handleErrorMessage(message = false) {
      const wrapper = this.querySelector('.product-form__error-message-wrapper');
      if (!wrapper) return;
      wrapper.toggleAttribute('hidden', !message);
      if (message) wrapper.querySelector('.product-form__error-message').textContent = message;
    }

    // Dawn posts the form as FormData to routes.cart_add_url (`/cart/add`, Accept:
    // application/javascript). The test site answers Shopify's documented JSON form of
    // the same Ajax Cart call, so this posts that.
    async onSubmitHandler(event) {
      event.preventDefault();
      if (this.submitButton.getAttribute('aria-disabled') === 'true') return;
      this.handleErrorMessage();
      this.submitButton.setAttribute('aria-disabled', 'true');
      const data = new FormData(this.form);
      const quantity = Number(data.get('quantity') || 1);
      const status = this.parentElement.querySelector('.cart-status');
      try {
        const response = await fetch(`${window.Shopify.routes.root}cart/add.js`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' },
          body: JSON.stringify({ items: [{ id: Number(data.get('id')), quantity }] }),
        });
        const body = await response.json();
        if (body.status) {
          publish(PUB_SUB_EVENTS.cartError, { source: 'product-form', productVariantId: data.get('id'), errors: body.description });
          this.handleErrorMessage(body.description);
          return;
        }
        publish(PUB_SUB_EVENTS.cartUpdate, { source: 'product-form', productVariantId: data.get('id'), cartData: body });
        if (status) {
          status.hidden = false;
          status.textContent = 'Added to your cart.';
        }
      } catch (error) {
        this.handleErrorMessage(String(error));
      } finally {
        this.submitButton.removeAttribute('aria-disabled');
      }
    }
  }

  // Children first, so <product-info> finds them upgraded when it renders.
  if (!customElements.get('variant-selects')) customElements.define('variant-selects', VariantSelects);
  if (!customElements.get('product-form')) customElements.define('product-form', ProductForm);
  if (!customElements.get('product-info')) customElements.define('product-info', ProductInfo);
})();
