// Embed: the snippet for the shop's theme, with a live preview of the widget.
import { api } from '../api.js';
import { field, h } from '../dom.js';

export async function embed({ shop }) {
  const list = await api('GET', '/v1/admin/products?limit=200');
  const sku = h('select', {}, list.items.map((p) => h('option', { value: p.sku }, `${p.name} (${p.sku})`)));
  const lang = h('select', {}, [['', 'the page\'s language'], ['en', 'English'], ['de', 'Deutsch'], ['fr', 'Français'], ['es', 'Español'], ['ja', '日本語'], ['ar', 'العربية'], ['he', 'עברית']].map(([v, l]) => h('option', { value: v }, l)));
  const mode = h('select', {}, [['', 'Product page (inline form)'], ['compact', 'Collection tile (compact, form in a dialog)']].map(([v, l]) => h('option', { value: v }, l)));
  const accent = h('input', { type: 'color', value: shop.brand_color || '#1f5f4a' });
  const radius = h('input', { type: 'number', min: 0, max: 24, value: 6 });
  const snippet = h('textarea', { class: 'snippet', rows: 5, readonly: true, spellcheck: 'false' });
  const frame = h('iframe', { class: 'preview-frame', title: 'Widget preview' });
  const copy = h('button', { type: 'button', onclick: async () => {
    await navigator.clipboard.writeText(snippet.value).catch(() => snippet.select());
    copy.textContent = 'Copied';
  } }, 'Copy snippet');
  const update = () => {
    const origin = location.origin;
    const style = `--restock-accent: ${accent.value}; --restock-radius: ${radius.value}px`;
    snippet.value = `<script src="${origin}/widget/widget.js" data-shop="${shop.id}"${lang.value ? ` data-lang="${lang.value}"` : ''} async></script>\n` +
      `<div data-restock-sku="${sku.value}"${mode.value ? ` data-restock-mode="${mode.value}"` : ''} style="${style}"></div>`;
    const q = new URLSearchParams({ shop: shop.id, sku: sku.value, '--restock-accent': accent.value, '--restock-radius': `${radius.value}px` });
    if (lang.value) q.set('lang', lang.value);
    if (mode.value) q.set('mode', mode.value);
    frame.src = `/embed.html?${q}`;
    copy.textContent = 'Copy snippet';
  };
  for (const el of [sku, lang, mode, accent, radius]) el.addEventListener('input', update);
  update();
  return h('div', {},
    h('h1', {}, 'Embed the widget'),
    h('p', {}, 'Paste the snippet into your product template where the stock status should appear. One script tag per page; as many mount points as you like. Add your shop\'s origin to the allowed origins in Settings: the widget answers only there.'),
    h('form', { class: 'card grid', onsubmit: (e) => e.preventDefault() },
      field('Product', sku), field('Language', lang), field('Layout', mode), field('Accent colour', accent), field('Corner radius (px)', radius)),
    h('section', { class: 'card', 'aria-labelledby': 'snip-h' }, h('h2', { id: 'snip-h' }, 'Snippet'), field('HTML to paste', snippet), h('div', { class: 'actions' }, copy)),
    h('section', { 'aria-labelledby': 'prev-h' }, h('h2', { id: 'prev-h' }, 'Live preview'), frame));
}
