// Products: the list, and one product with its queue, purchase orders, waitlist and
// actions. Every action previews what it will do (the API's ?preview=1) before it does it.
import { api, ApiError } from '../api.js';
import { announce, clear, count, day, field, h, money, paged, statusWords, table, when } from '../dom.js';

export async function products() {
  const search = h('input', { type: 'search', maxlength: 40, autocomplete: 'off', placeholder: 'SKU or name' });
  const body = h('div');
  const list = paged((cursor) => {
    const q = new URLSearchParams({ limit: '50' });
    if (search.value.trim()) q.set('q', search.value.trim());
    if (cursor) q.set('cursor', cursor);
    return api('GET', `/v1/admin/products?${q}`);
  }, (items) => {
    clear(body).append(items.length || !search.value.trim()
      ? table('Products', [['Product'], ['Status'], ['On hand', 'num'], ['Policy'], ['Price', 'num']], items.map((p) => h('tr', {},
        h('td', {}, h('a', { href: `#/product/${encodeURIComponent(p.sku)}` }, p.name), h('span', { class: 'hint' }, p.sku)),
        h('td', {}, statusWords(p.availability)),
        h('td', { class: 'num' }, count(p.on_hand)),
        h('td', {}, p.policy + (p.cap === null ? '' : ` (cap ${p.cap})`)),
        h('td', { class: 'num' }, money(p.price_cents)))))
      : h('p', { role: 'status' }, `No product matches “${search.value.trim()}”.`));
  });
  let typing = null;
  search.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => list.load(true), 250); });
  await list.load(true);
  const newSku = h('input', { required: true, pattern: '[A-Za-z0-9][A-Za-z0-9._-]{0,63}', autocomplete: 'off' });
  return h('div', {},
    h('h1', {}, 'Products'),
    h('form', { class: 'card grid', role: 'search', onsubmit: (e) => { e.preventDefault(); list.load(true); } },
      field('Search products', search, 'a SKU prefix or part of the name')),
    body, h('div', { class: 'actions' }, list.more),
    h('form', { class: 'card grid', onsubmit: (e) => { e.preventDefault(); location.hash = `#/product/${encodeURIComponent(newSku.value)}`; } },
      field('New product SKU', newSku, 'letters, digits, . _ -'), h('div', {}, h('button', { type: 'submit' }, 'Add product'))));
}

const num = (input) => (input.value.trim() === '' ? null : Number(input.value));

/** A form that previews an action, then confirms it. */
function previewed({ label, title, build, explain, run, done }) {
  const out = h('div', { role: 'status' });
  const confirm = h('button', { type: 'button', class: 'primary', hidden: true }, `Confirm: ${label.toLowerCase()}`);
  const error = h('p', { class: 'error', role: 'alert' });
  let pending = null;
  const form = h('form', { class: 'card', 'aria-label': title, onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    clear(out);
    confirm.hidden = true;
    try {
      pending = build();
      const preview = await run(pending, true);
      out.append(h('p', { class: 'preview' }, explain(preview)));
      confirm.hidden = false;
      confirm.focus();
    } catch (err) { error.textContent = err.message; }
  } });
  confirm.addEventListener('click', async () => {
    error.textContent = '';
    confirm.disabled = true;
    try {
      const result = await run(pending, false);
      announce(`${label}: done`);
      done(result);
    } catch (err) { error.textContent = err.message; confirm.disabled = false; }
  });
  return { form, controls: (...fields) => {
    form.append(h('h2', {}, title), h('div', { class: 'grid' }, fields),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, `Preview: ${label.toLowerCase()}`), confirm), out, error);
    return form;
  } };
}

const plural = (n, one, many) => `${count(n)} ${n === 1 ? one : many}`;

/** A plan's own words (the API's `says`), so the dashboard never re-states a rule. */
const planWords = (plan) => plan.says.join(' ');

export async function product({ args, refresh }) {
  const sku = args[0];
  let p = null;
  try {
    p = await api('GET', `/v1/admin/products/${encodeURIComponent(sku)}`);
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'product_not_found') throw err;
  }
  const page = h('div', {});
  page.append(h('h1', {}, p ? p.name : `New product ${sku}`), h('p', { class: 'hint' }, `SKU ${sku}`));
  if (p) {
    const a = p.availability;
    page.append(
      h('ul', { class: 'stats', 'aria-label': 'Now' },
        h('li', {}, h('b', {}, statusWords(a)), h('span', {}, a.eta ? `${a.eta.basis === 'lead_time' ? 'estimated' : 'expected'} ${day(a.eta.date)}` : 'as shoppers see it')),
        h('li', {}, h('b', {}, count(p.on_hand)), h('span', {}, p.held ? `on hand (${p.held} held for notified shoppers)` : 'on hand')),
        h('li', {}, h('b', {}, count(p.queue.units_owed)), h('span', {}, `owed to ${plural(p.queue.open, 'backorder', 'backorders')}${p.queue.delayed ? `, ${p.queue.delayed} delayed` : ''}`)),
        h('li', {}, h('b', {}, count(p.waitlist_counts.active + p.waitlist_counts.pending)), h('span', {}, `waiting (${p.waitlist_counts.notified} notified so far)`))));
    page.append(await receiveForm(sku, p, refresh));
    page.append(await queueTable(sku, refresh));
    page.append(poSection(sku, p, refresh));
    page.append(wavesTable(p));
    page.append(await forecastSection(sku));
  }
  page.append(settingsForm(sku, p, refresh));
  return page;
}

async function receiveForm(sku, p, refresh) {
  const qty = h('input', { type: 'number', min: 1, inputmode: 'numeric' });
  const po = h('select', {}, h('option', { value: '' }, 'no purchase order'),
    p.purchase_orders.filter((o) => o.status === 'open').map((o) => h('option', { value: o.id }, `${o.quantity} expected ${day(o.expected_date)}${o.supplier ? ` from ${o.supplier}` : ''}`)));
  const f = previewed({
    label: 'Receive stock',
    title: 'Receive stock',
    build: () => ({ quantity: num(qty), purchase_order_id: po.value || null }),
    run: (body, preview) => api('POST', `/v1/admin/products/${encodeURIComponent(sku)}/receive${preview ? '?preview=1' : ''}`, body),
    explain: planWords,
    done: () => refresh(),
  });
  return f.controls(field('Units arrived', qty, 'leave empty to receive the whole purchase order'), field('From purchase order', po));
}

async function queueTable(sku, refresh) {
  const heading = h('h2', { id: 'queue-h' }, 'Backorder queue');
  const body = h('div');
  const list = paged((cursor) => api('GET', `/v1/admin/backorders?sku=${encodeURIComponent(sku)}&status=open&limit=50${cursor ? `&cursor=${cursor}` : ''}`),
    (rows) => {
      heading.textContent = `Backorder queue (${rows.length}${list.more.hidden ? '' : '+'})`;
      clear(body).append(rows.length ? queueRows(rows, refresh) : h('p', {}, 'No open backorders.'));
    });
  await list.load(true);
  return h('section', { 'aria-labelledby': 'queue-h' }, heading, body, h('div', { class: 'actions' }, list.more));
}

function queueRows(rows, refresh) {
  return table('Open backorders, first come first served', [['#', 'num'], ['Customer'], ['Qty', 'num'], ['Allocated', 'num'], ['Promised'], ['Now expected'], ['Placed'], ['Actions']], rows.map((b) => h('tr', {},
    h('td', { class: 'num' }, b.position),
    h('td', {}, b.email, h('span', { class: 'hint' }, b.kind)),
    h('td', { class: 'num' }, b.quantity),
    h('td', { class: 'num' }, b.allocated),
    h('td', {}, day(b.promised_date)),
    h('td', {}, b.current_promise ? day(b.current_promise) : 'unknown', b.delayed ? [' ', h('span', { class: 'badge warn' }, 'delayed')] : null),
    h('td', {}, when(b.created_at)),
    h('td', {}, h('button', { type: 'button', class: 'link', onclick: (e) => {
      const cell = e.target.closest('td');
      const path = `/v1/admin/backorders/${encodeURIComponent(b.id)}/cancel`;
      const go = h('button', { type: 'button', class: 'danger', onclick: async () => {
        go.disabled = true;
        await api('POST', path);
        announce('Backorder cancelled');
        refresh();
      } }, 'Confirm: cancel it');
      api('POST', `${path}?preview=1`).then((plan) => {
        cell.replaceChildren(h('span', { class: 'preview' }, `${planWords(plan)} `), go);
        go.focus();
      });
    } }, 'Cancel')))));
}

function append(el, child) { el.append(child); return el; }

function poSection(sku, p, refresh) {
  const section = h('section', { 'aria-labelledby': 'po-h' }, h('h2', { id: 'po-h' }, 'Purchase orders'));
  const editor = (o) => {
    const qty = h('input', { type: 'number', min: 1, inputmode: 'numeric', value: o ? o.quantity : '' });
    const date = h('input', { type: 'date', value: o ? o.expected_date : '' });
    const supplier = h('input', { value: o && o.supplier ? o.supplier : p.supplier || '' });
    const path = `/v1/admin/products/${encodeURIComponent(sku)}/purchase-orders${o ? `/${encodeURIComponent(o.id)}` : ''}`;
    const f = previewed({
      label: o ? 'Save purchase order' : 'Add purchase order',
      title: o ? `Edit purchase order ${o.reference || ''}`.trim() : 'Add a purchase order',
      build: () => ({ quantity: num(qty), expected_date: date.value, supplier: supplier.value || null }),
      run: (body, preview) => api(o ? 'PUT' : 'POST', `${path}${preview ? '?preview=1' : ''}`, body),
      explain: (r) => `${statusWords(r.availability)} for new shoppers. ${planWords(r)}`,
      done: () => refresh(),
    });
    return f.controls(field('Units', qty), field('Expected', date), field('Supplier', supplier));
  };
  const open = p.purchase_orders;
  if (open.length) {
    const row = (o) => {
      const actions = h('td', {});
      const path = `/v1/admin/products/${encodeURIComponent(sku)}/purchase-orders/${encodeURIComponent(o.id)}`;
      const edit = h('button', { type: 'button', class: 'link', onclick: () => section.append(editor(o)) }, 'Edit');
      const cancel = h('button', { type: 'button', class: 'link', onclick: async () => {
        const preview = await api('DELETE', `${path}?preview=1`);
        const go = h('button', { type: 'button', class: 'danger', onclick: async () => {
          await api('DELETE', path);
          announce('Purchase order cancelled');
          refresh();
        } }, 'Confirm: cancel it');
        actions.replaceChildren(h('span', { class: 'preview' }, `Cancelling: ${planWords(preview)} `), go);
        go.focus();
      } }, 'Cancel');
      if (o.status === 'open') actions.append(edit, ' ', cancel);
      return h('tr', {}, h('td', { class: 'num' }, o.quantity), h('td', {}, day(o.expected_date)),
        h('td', {}, o.supplier || '—'), h('td', {}, o.status), actions);
    };
    const head = [['Units', 'num'], ['Expected'], ['Supplier'], ['Status'], ['Actions']];
    section.append(table('Purchase orders, by expected date', head, open.map(row)));
  } else {
    section.append(h('p', {}, 'No purchase orders.'));
  }
  section.append(editor(null));
  return section;
}

function wavesTable(p) {
  const section = h('section', { 'aria-labelledby': 'waves-h' }, h('h2', { id: 'waves-h' }, 'Waitlist waves'));
  if (!p.releases.length) return append(section, h('p', {}, 'No restock emails sent for this product yet.'));
  return append(section, table('Waves, newest first', [['Wave', 'num'], ['Units', 'num'], ['Notify', 'num'], ['Planned', 'num'], ['Status'], ['Started']], p.releases.map((r) => h('tr', {},
    h('td', { class: 'num' }, r.wave), h('td', { class: 'num' }, r.sellable), h('td', { class: 'num' }, r.target),
    h('td', { class: 'num' }, r.planned), h('td', {}, r.status), h('td', {}, when(r.created_at))))));
}

// Demand, safety stock and what to order (the API's forecast; the domain computes it).
async function forecastSection(sku) {
  const f = await api('GET', `/v1/admin/products/${encodeURIComponent(sku)}/forecast`);
  const perDay = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(f.per_day);
  const level = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 }).format(f.service_level / 1000);
  const section = h('section', { class: 'card', 'aria-labelledby': 'forecast-h' }, h('h2', { id: 'forecast-h' }, 'Forecast'),
    h('p', { class: 'hint' }, `Demand over the last ${f.days} days: waitlist signups, units backordered or preordered, and sales you reported. Service level ${level}.`));
  const stats = [h('li', {}, h('b', {}, perDay), h('span', {}, `units a day (σ ${new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(f.std_dev)})`))];
  if (f.lead_time_days === null) {
    section.append(h('ul', { class: 'stats', 'aria-label': 'Forecast' }, stats),
      h('p', {}, 'Set the supplier lead time to see the safety stock, the reorder point and what to order.'));
    return section;
  }
  stats.push(
    h('li', {}, h('b', {}, count(f.safety_stock)), h('span', {}, `safety stock (z ${f.z.toFixed(2)} · σ · √${f.lead_time_days} days)`)),
    h('li', {}, h('b', {}, count(f.reorder_point)), h('span', {}, 'reorder point')),
    h('li', {}, h('b', {}, count(f.suggested_order)), h('span', {}, f.suggested_order ? `to order now (on hand + on order − owed is ${f.position})` : `to order: none, ${f.position} on hand + on order − owed`)));
  section.append(h('ul', { class: 'stats', 'aria-label': 'Forecast' }, stats));
  return section;
}

function settingsForm(sku, p, refresh) {
  const v = p || { name: '', policy: 'deny', cap: null, release_date: null, low_stock_threshold: 0, lead_time_days: null, waitlist: true, discontinued: false, price_cents: 0, url: null, supplier: null, category: null, alternatives: null };
  const name = h('input', { value: v.name, required: true, maxlength: 200 });
  const policy = h('select', {}, [['deny', 'Out of stock is out of stock'], ['backorder', 'Take backorders'], ['preorder', 'Take preorders']].map(([value, label]) => h('option', { value, selected: v.policy === value }, label)));
  const cap = h('input', { type: 'number', min: 1, value: v.cap === null ? '' : v.cap });
  const release = h('input', { type: 'date', value: v.release_date || '' });
  const threshold = h('input', { type: 'number', min: 0, value: v.low_stock_threshold });
  const lead = h('input', { type: 'number', min: 0, max: 365, value: v.lead_time_days === null ? '' : v.lead_time_days });
  const price = h('input', { type: 'number', min: 0, step: '0.01', value: (v.price_cents / 100).toFixed(2) });
  const onHand = h('input', { type: 'number', min: 0, value: p ? p.on_hand : 0 });
  const supplier = h('input', { value: v.supplier || '' });
  const url = h('input', { value: v.url || '', placeholder: '/products/my-product' });
  const waitlist = h('input', { type: 'checkbox', checked: v.waitlist });
  const discontinued = h('input', { type: 'checkbox', checked: v.discontinued });
  const category = h('input', { value: v.category || '', maxlength: 100 });
  const picks = h('input', { value: (v.alternatives || []).join(' '), spellcheck: 'false', autocomplete: 'off' });
  const noAlternatives = h('input', { type: 'checkbox', checked: Array.isArray(v.alternatives) && v.alternatives.length === 0 });
  const f = previewed({
    label: p ? 'Save product' : 'Create product',
    title: p ? 'Selling policy and details' : 'Create the product',
    build: () => ({
      name: name.value, policy: policy.value, cap: policy.value === 'deny' ? null : num(cap),
      release_date: policy.value === 'preorder' ? release.value || null : null,
      low_stock_threshold: num(threshold) || 0, lead_time_days: num(lead), price_cents: Math.round((num(price) || 0) * 100),
      on_hand: num(onHand), supplier: supplier.value || null, url: url.value || null,
      waitlist: waitlist.checked, discontinued: discontinued.checked,
      category: category.value.trim() || null,
      alternatives: noAlternatives.checked ? [] : (picks.value.trim() ? picks.value.trim().split(/[\s,]+/) : null),
    }),
    run: (body, preview) => api('PUT', `/v1/admin/products/${encodeURIComponent(sku)}${preview ? '?preview=1' : ''}`, body),
    explain: (r) => `Shoppers will see: ${statusWords(r.availability)}. ${planWords(r)}`,
    done: () => refresh(),
  });
  return f.controls(
    field('Name', name), field('When out of stock', policy), field('Cap (units)', cap, 'empty: no cap'),
    field('Release date (preorders)', release), field('Low-stock threshold', threshold, '"only N left" at or below'),
    field('Supplier lead time (days)', lead, 'empty: unknown'), field('Price', price), field('On hand', onHand, 'higher = stock arriving'),
    field('Supplier', supplier), field('Product page', url),
    field('Category', category, 'alternatives come from the same category'),
    field('Alternatives (SKUs)', picks, 'offered while out of stock; empty: in-stock products of the same category, then supplier'),
    h('label', { class: 'check' }, noAlternatives, 'Offer no alternatives'),
    h('label', { class: 'check' }, waitlist, 'Waitlist open'), h('label', { class: 'check' }, discontinued, 'Discontinued'));
}
