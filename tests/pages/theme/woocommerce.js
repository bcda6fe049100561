/* global jQuery, wc_add_to_cart_variation_params */
// A stand-in for WooCommerce's assets/js/frontend/add-to-cart-variation.js (written for
// these tests, not copied; source read: plugins/woocommerce/client/legacy/js/frontend/
// add-to-cart-variation.js). Like the original it runs on jQuery and talks only in
// jQuery events, triggered on form.variations_form:
//
//   change of a `.variations select` (delegated jQuery handler on the form):
//     input.variation_id .val('') .trigger('change')
//     'woocommerce_variation_select_change'
//     'check_variations':
//        'update_variation_values'
//        every attribute chosen and a variation matches -> 'found_variation' [variation]
//           (.product_meta .sku text set, .single_variation filled from the wp.template,
//            input.variation_id .val(variation_id) .trigger('change'),
//            then 'show_variation' [variation, purchasable] on .single_variation)
//        otherwise -> 'reset_data' (SKU text restored, 'hide_variation')
//     'woocommerce_variation_has_changed'
//   the Clear button: every select .val('') .trigger('change'), 'announce_reset', 'reset_data'
//   100 ms after start: 'check_variations' (so a default selection fires 'found_variation')
//   and 'wc_variation_form'.
//
// jQuery's .trigger() runs jQuery handlers only: none of these (not even the
// variation_id 'change') reaches a native addEventListener listener.
(function ($, window, document) {
  'use strict';

  const params = window.wc_add_to_cart_variation_params || {};

  function VariationForm($form) {
    const self = this;
    self.$form = $form;
    self.$attributeFields = $form.find('.variations select');
    self.$singleVariation = $form.find('.single_variation');
    self.$singleVariationWrap = $form.find('.single_variation_wrap');
    self.$resetVariations = $form.find('.reset_variations');
    self.$resetAlert = $form.find('.reset_variations_alert');
    self.$product = $form.closest('.product');
    self.variationData = $form.data('product_variations');
    self.useAjax = self.variationData === false;
    self.loading = true;

    self.$singleVariationWrap.show();
    $form.off('.wc-variation-form');

    $form.on('click.wc-variation-form', '.reset_variations', { variationForm: self }, self.onReset);
    $form.on('hide_variation', { variationForm: self }, self.onHide);
    $form.on('show_variation', { variationForm: self }, self.onShow);
    $form.on('click', '.single_add_to_cart_button', { variationForm: self }, self.onAddToCart);
    $form.on('reset_data', { variationForm: self }, self.onResetDisplayedVariation);
    $form.on('announce_reset', { variationForm: self }, self.onAnnounceReset);
    $form.on('change.wc-variation-form', '.variations select', { variationForm: self }, self.onChange);
    $form.on('found_variation.wc-variation-form', { variationForm: self }, self.onFoundVariation);
    $form.on('check_variations.wc-variation-form', { variationForm: self }, self.onFindVariation);
    $form.on('submit', { variationForm: self }, self.onSubmit);

    setTimeout(function () {
      $form.trigger('check_variations');
      $form.trigger('wc_variation_form', self);
      self.loading = false;
    }, 100);
  }

  VariationForm.prototype.chosenAttributes = function () {
    const data = {};
    let count = 0;
    let chosen = 0;
    this.$attributeFields.each(function () {
      const name = $(this).data('attribute_name') || $(this).attr('name');
      const value = $(this).val() || '';
      if (value.length > 0) chosen++;
      count++;
      data[name] = value;
    });
    return { count, chosenCount: chosen, data };
  };

  // An attribute the variation leaves empty ("any") matches every value.
  VariationForm.prototype.matching = function (attributes) {
    return (this.variationData || []).filter(function (variation) {
      return Object.keys(variation.attributes).every(function (name) {
        const wanted = variation.attributes[name];
        const chosen = attributes[name];
        return !wanted || !chosen || wanted === chosen;
      });
    });
  };

  VariationForm.prototype.onReset = function (event) {
    event.preventDefault();
    const form = event.data.variationForm;
    form.$attributeFields.val('').trigger('change');
    form.$form.trigger('announce_reset');
    form.$form.trigger('reset_data');
  };

  VariationForm.prototype.onAnnounceReset = function (event) {
    const form = event.data.variationForm;
    form.$resetAlert.text(params.i18n_reset_alert_text || '');
    setTimeout(function () {
      form.$resetAlert.text('');
    }, 1000);
  };

  VariationForm.prototype.onChange = function (event) {
    const form = event.data.variationForm;
    form.$form.find('input[name="variation_id"], input.variation_id').val('').trigger('change');
    form.$form.find('.wc-no-matching-variations').remove();
    form.$form.trigger('woocommerce_variation_select_change');
    form.$form.trigger('check_variations');
    form.$form.trigger('woocommerce_variation_has_changed');
  };

  VariationForm.prototype.onFindVariation = function (event) {
    const form = event.data.variationForm;
    const attributes = form.chosenAttributes();
    form.$form.trigger('update_variation_values');
    if (attributes.count && attributes.count === attributes.chosenCount) {
      const variation = form.matching(attributes.data)[0];
      if (variation) {
        form.$form.trigger('found_variation', [variation]);
      } else {
        form.$form.trigger('reset_data');
        if (!form.loading) {
          $('<p class="wc-no-matching-variations woocommerce-info"></p>')
            .text(params.i18n_no_matching_variations_text || '')
            .insertAfter(form.$singleVariation);
        }
      }
    } else {
      form.$form.trigger('reset_data');
    }
    form.toggleResetLink(attributes.chosenCount > 0);
  };

  VariationForm.prototype.onFoundVariation = function (event, variation) {
    const form = event.data.variationForm;
    const $sku = form.$product.find('.product_meta').find('.sku');
    if (variation.sku) $sku.wc_set_content(variation.sku);
    else $sku.wc_reset_content();

    const templateId = variation.variation_is_visible ? 'variation-template' : 'unavailable-variation-template';
    form.$singleVariation.html(render(templateId, variation));
    form.$form
      .find('input[name="variation_id"], input.variation_id')
      .val(variation.variation_is_visible ? variation.variation_id : '')
      .trigger('change');

    const purchasable = Boolean(variation.is_purchasable && variation.is_in_stock && variation.variation_is_visible);
    form.$singleVariation.show().trigger('show_variation', [variation, purchasable]);
  };

  VariationForm.prototype.onResetDisplayedVariation = function (event) {
    const form = event.data.variationForm;
    form.$product.find('.product_meta').find('.sku').wc_reset_content();
    form.$singleVariation.empty().hide().trigger('hide_variation');
  };

  VariationForm.prototype.onHide = function (event) {
    event.preventDefault();
    const form = event.data.variationForm;
    form.$form
      .find('.single_add_to_cart_button')
      .removeClass('wc-variation-is-unavailable')
      .addClass('disabled wc-variation-selection-needed');
    form.$form
      .find('.woocommerce-variation-add-to-cart')
      .removeClass('woocommerce-variation-add-to-cart-enabled')
      .addClass('woocommerce-variation-add-to-cart-disabled');
  };

  VariationForm.prototype.onShow = function (event, variation, purchasable) {
    event.preventDefault();
    const form = event.data.variationForm;
    const $button = form.$form.find('.single_add_to_cart_button');
    const $wrap = form.$form.find('.woocommerce-variation-add-to-cart');
    if (purchasable) {
      $button.removeClass('disabled wc-variation-selection-needed wc-variation-is-unavailable');
      $wrap.removeClass('woocommerce-variation-add-to-cart-disabled').addClass('woocommerce-variation-add-to-cart-enabled');
    } else {
      $button.removeClass('wc-variation-selection-needed').addClass('disabled wc-variation-is-unavailable');
      $wrap.removeClass('woocommerce-variation-add-to-cart-enabled').addClass('woocommerce-variation-add-to-cart-disabled');
    }
  };

  // WooCommerce uses window.alert here; a page under test must not block on a dialog.
  VariationForm.prototype.onAddToCart = function (event) {
    const $button = $(this);
    if (!$button.is('.disabled')) return;
    event.preventDefault();
    const text = $button.is('.wc-variation-is-unavailable') ? params.i18n_unavailable_text : params.i18n_make_a_selection_text;
    const form = event.data.variationForm;
    form.$form.find('.wc-add-to-cart-notice').remove();
    $('<p class="wc-add-to-cart-notice woocommerce-info" role="alert"></p>').text(text || '').insertAfter(form.$singleVariation);
  };

  // WooCommerce posts the form to the product's permalink and the next page shows a
  // notice; the test site keeps no cart, so this shows that notice in place.
  VariationForm.prototype.onSubmit = function (event) {
    event.preventDefault();
    const form = event.data.variationForm;
    const choice = form.$attributeFields.find(':selected').text();
    const title = form.$product.find('.product_title').text();
    const $notices = $('.woocommerce-notices-wrapper');
    $notices.empty();
    $('<div class="woocommerce-message message" role="alert"></div>')
      .text('\u201c' + title + ' \u2013 ' + choice + '\u201d has been added to your cart.')
      .appendTo($notices);
  };

  VariationForm.prototype.toggleResetLink = function (on) {
    this.$resetVariations.css('visibility', on ? 'visible' : 'hidden');
  };

  // The CSP-friendly path of WooCommerce's wp_template(): {{{ }}} unescaped, {{ }} escaped.
  function render(templateId, variation) {
    const source = document.getElementById('tmpl-' + templateId);
    const html = source ? source.textContent : '';
    return html.replace(/({{{?)\s?data\.variation\.([\w-]*)\s?(}}}?)/g, function (_, open, key, close) {
      if (open.length !== close.length) return '';
      const value = variation[key] == null ? '' : String(variation[key]);
      return open.length === 2 ? $('<div>').text(value).html() : value;
    });
  }

  $.fn.wc_variation_form = function () {
    new VariationForm(this);
    return this;
  };

  $.fn.wc_set_content = function (content) {
    if (this.attr('data-o_content') === undefined) this.attr('data-o_content', this.text());
    this.text(content);
  };

  $.fn.wc_reset_content = function () {
    if (this.attr('data-o_content') !== undefined) this.text(this.attr('data-o_content'));
  };

  $(function () {
    if (typeof wc_add_to_cart_variation_params !== 'undefined') {
      $('.variations_form').each(function () {
        $(this).wc_variation_form();
      });
    }
  });
})(jQuery, window, document);
