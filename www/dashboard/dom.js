// Building DOM from data without ever parsing data as HTML: `h` creates elements and
// turns strings into text nodes. Nothing in the dashboard uses innerHTML.

/** h('p', { class: 'x', onclick: fn }, 'text', child, [more]) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

let currency = 'EUR';
export function setCurrency(c) { currency = c || 'EUR'; }
export const money = (cents) => new Intl.NumberFormat(undefined, { style: 'currency', currency }).format((cents || 0) / 100);
export const count = (n) => new Intl.NumberFormat().format(n || 0);
export const when = (ms) => (ms ? new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms)) : '—');
export const day = (iso) => (iso ? new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(iso + 'T00:00:00Z')) : '—');

/** Tells screen-reader users what just happened. */
export function announce(text) {
  const live = document.getElementById('announce');
  live.textContent = '';
  setTimeout(() => { live.textContent = text; }, 30);
}

/** A labelled form field. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 8)}`;
  input.id = id;
  return h('div', {}, h('label', { for: id }, label, hint ? h('span', { class: 'hint' }, hint) : null), input);
}

/** A table that scrolls sideways on small screens (and can be scrolled by keyboard). */
export function table(caption, head, rows) {
  return h('div', { class: 'scroll', role: 'region', 'aria-label': caption, tabindex: 0 },
    h('table', {}, h('caption', {}, caption),
      h('thead', {}, h('tr', {}, head.map(([text, cls]) => h('th', { scope: 'col', class: cls }, text)))),
      h('tbody', {}, rows)));
}

export const statusWords = (a) => ({
  in_stock: 'In stock',
  low_stock: `Low stock: ${a.left} left`,
  out_of_stock: 'Out of stock',
  backorder: a.left === null ? 'On backorder' : `On backorder: ${a.left} places left`,
  preorder: `Preorder until ${day(a.release_date)}` + (a.left === null ? '' : `: ${a.left} places left`),
  discontinued: 'Discontinued',
}[a.status] || a.status);

/**
 * A list read page by page: `fetchPage(cursor)` answers `{ items, next_cursor }`, and
 * `draw(items, page)` shows everything loaded so far. `load(true)` starts over (a new
 * search or filter); the returned `more` button loads the next page.
 */
export function paged(fetchPage, draw) {
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  let cursor = null;
  let items = [];
  async function load(reset) {
    if (reset) { cursor = null; items = []; }
    const page = await fetchPage(cursor);
    items = items.concat(page.items);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    draw(items, page);
  }
  more.addEventListener('click', () => load(false));
  return { more, load };
}
