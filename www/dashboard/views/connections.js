// Connections (issue 17): the shop's platform (Shopify, WooCommerce, BigCommerce) as
// the source of stock, catalog and orders: connect with its secrets (write-only: only
// their first characters come back), see each connection's status, sync, drift, last
// events and errors, resync or pause it; import a catalog from CSV with a preview (the
// same plan the import then carries out); customer-group rules and the group key.
import { api } from '../api.js';
import { announce, count, field, h, table, when } from '../dom.js';

const PLATFORMS = [
  ['shopify', 'Shopify', 'acme.myshopify.com', 'Client secret of the app', 'Admin API access token'],
  ['woocommerce', 'WooCommerce', 'https://shop.example', 'Webhook secret', 'Consumer secret'],
  ['bigcommerce', 'BigCommerce', 'store hash (stores/{hash} in the API path)', 'Client secret of the app', 'Access token'],
];

/** Shows a problem next to the field it names (`field` from the API), or above the form. */
function failer(error, fields) {
  return (err) => {
    for (const el of Object.values(fields)) el.removeAttribute('aria-invalid');
    const el = err.field && fields[err.field];
    error.textContent = err.field ? `${err.field}: ${err.message}` : err.message;
    if (el) { el.setAttribute('aria-invalid', 'true'); el.focus(); }
  };
}

function connectForm(onDone) {
  const error = h('p', { class: 'error', role: 'alert' });
  const f = {
    platform: h('select', {}, PLATFORMS.map(([v, l]) => h('option', { value: v }, l))),
    store: h('input', { required: true, spellcheck: 'false' }),
    webhook_secret: h('input', { type: 'password', required: true, autocomplete: 'off' }),
    api_token: h('input', { type: 'password', required: true, autocomplete: 'off' }),
    api_key: h('input', { type: 'password', autocomplete: 'off' }),
    location_id: h('input', { inputmode: 'numeric', spellcheck: 'false' }),
    group_map: h('textarea', { rows: 2, spellcheck: 'false', placeholder: 'wholesale=b2b' }),
  };
  const keyField = field('Consumer key', f.api_key, 'WooCommerce only');
  const locationField = field('Location', f.location_id, 'Shopify only: follow one location (empty: every location)');
  const hints = {};
  const relabel = () => {
    const [, , store, secret, token] = PLATFORMS.find(([v]) => v === f.platform.value);
    f.store.placeholder = store;
    hints.secret.textContent = secret;
    hints.token.textContent = token;
    keyField.hidden = f.platform.value !== 'woocommerce';
    locationField.hidden = f.platform.value !== 'shopify';
  };
  const secretField = field('Webhook signing secret', f.webhook_secret, 'secret');
  const tokenField = field('API token', f.api_token, 'token');
  hints.secret = secretField.querySelector('.hint');
  hints.token = tokenField.querySelector('.hint');
  f.platform.addEventListener('change', relabel);
  const form = h('form', { class: 'grid', 'aria-label': 'Connect a platform', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    const body = {
      platform: f.platform.value,
      store: f.store.value.trim(),
      webhook_secret: f.webhook_secret.value.trim(),
      api_token: f.api_token.value.trim(),
    };
    if (f.platform.value === 'woocommerce') body.api_key = f.api_key.value.trim();
    if (f.platform.value === 'shopify' && f.location_id.value.trim()) body.location_id = f.location_id.value.trim();
    const pairs = f.group_map.value.split(/\n/).map((l) => l.split('=').map((s) => s.trim())).filter(([k, v]) => k && v);
    if (pairs.length) body.group_map = Object.fromEntries(pairs);
    try {
      const created = await api('POST', '/v1/admin/connections', body);
      // The secrets leave the page: they are not shown again.
      f.webhook_secret.value = '';
      f.api_token.value = '';
      f.api_key.value = '';
      announce(`Connected ${created.platform}`);
      await onDone();
    } catch (err) {
      failer(error, { ...f, 'group_map': f.group_map })(err);
    }
  } },
  field('Platform', f.platform),
  field('Store', f.store),
  secretField, tokenField, keyField, locationField,
  field('Customer groups', f.group_map, 'one per line: the platform\'s tag, role or group id = a Restock group'),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Connect')),
  error);
  relabel();
  return form;
}

function syncWords(s) {
  if (s.running) return `Running: ${count(s.seen)} variants read in ${count(s.pages)} pages, ${count(s.drift_units)} units of drift so far`;
  if (s.last_at) return `Last sync ${when(s.last_at)}: ${count(s.last_seen)} variants, drift ${count(s.last_drift_units)} units in ${count(s.last_drift_skus)} SKUs`;
  return 'Not synced yet';
}

function connectionCard(c, redraw) {
  const error = h('p', { class: 'error', role: 'alert' });
  const act = (label, method, path, body, done) => h('button', { type: 'button', onclick: async () => {
    error.textContent = '';
    try {
      await api(method, path, body);
      announce(done);
      await redraw();
    } catch (err) { error.textContent = err.message; }
  } }, label);
  const base = `/v1/admin/connections/${encodeURIComponent(c.id)}`;
  const hook = h('input', { value: c.hook_url, readonly: true, spellcheck: 'false', 'aria-label': `Webhook address for ${c.platform}` });
  const events = (c.events || []).map((e) => h('tr', {},
    h('td', {}, when(e.received_at)),
    h('td', {}, e.topic),
    h('td', {}, h('span', { class: `badge ${e.status === 'failed' ? 'bad' : 'good'}` }, e.status)),
    h('td', {}, e.detail || '')));
  return h('section', { class: 'card', 'aria-label': `${c.platform} connection` },
    h('h2', {}, `${c.platform} · ${c.store} `, h('span', { class: `badge ${c.status === 'active' ? 'good' : 'bad'}` }, c.status)),
    field('Point the platform\'s webhooks here', hook),
    h('p', {}, `Secrets: webhook ${c.webhook_secret_prefix}, API ${c.api_token_prefix}`, c.api_key_prefix ? `, key ${c.api_key_prefix}` : '', '. Not shown again; change them below by connecting anew or through the API.'),
    h('p', {}, syncWords(c.sync), c.sync.retry_at ? ` · waiting for the platform until ${when(c.sync.retry_at)}` : ''),
    h('p', {}, `Last event ${when(c.last_event_at)}`),
    c.last_error ? h('p', { class: 'error' }, `Last error (${when(c.last_error_at)}): ${c.last_error}`) : null,
    h('div', { class: 'actions' },
      act('Resync now', 'POST', `${base}/resync`, undefined, 'Resync started'),
      act(c.status === 'active' ? 'Pause' : 'Resume', 'PATCH', base, { status: c.status === 'active' ? 'paused' : 'active' }, 'Connection updated'),
      act('Disconnect', 'DELETE', base, undefined, 'Disconnected')),
    error,
    events.length ? table('Last events', [['Received'], ['Topic'], ['Result'], ['Detail']], events) : h('p', {}, 'No webhooks received yet.'));
}

/** Splits CSV text into requests of at most 50 data rows, each with the header. */
function chunks(csv) {
  const lines = [];
  let cur = '';
  let quoted = false;
  for (const ch of csv) {
    if (ch === '"') quoted = !quoted;
    if (ch === '\n' && !quoted) { lines.push(cur.replace(/\r$/, '')); cur = ''; } else cur += ch;
  }
  if (cur.trim()) lines.push(cur.replace(/\r$/, ''));
  const [header, ...rows] = lines.filter((l) => l.trim() !== '');
  const out = [];
  for (let i = 0; i < rows.length; i += 50) out.push(`${header}\n${rows.slice(i, i + 50).join('\n')}\n`);
  return out.length ? out : [`${header || ''}\n`];
}

function importCard() {
  const text = h('textarea', { rows: 6, spellcheck: 'false', placeholder: 'sku,name,on_hand,policy\nMUG,Stoneware mug,12,backorder' });
  const file = h('input', { type: 'file', accept: '.csv,text/csv' });
  file.addEventListener('change', async () => { if (file.files[0]) text.value = await file.files[0].text(); });
  const out = h('div', { role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const commit = h('button', { type: 'button', class: 'primary', hidden: true }, 'Import');
  const totals = { create: 0, update: 0, received: 0, allocated: 0, to_stock: 0, notify: 0, delayed: 0 };
  // Every chunk through the same endpoint: with ?preview=1 it plans and writes nothing.
  async function run(preview) {
    error.textContent = '';
    for (const k of Object.keys(totals)) totals[k] = 0;
    const rows = [];
    for (const chunk of chunks(text.value)) {
      let body = { csv: chunk };
      for (;;) {
        const r = await api('POST', `/v1/admin/import${preview ? '?preview=1' : ''}`, body);
        for (const k of Object.keys(totals)) totals[k] += r.totals[k] || 0;
        rows.push(...r.rows);
        if (r.next_row === null) break;
        // The Worker stopped at its budget: the rest of this chunk again.
        const [header, ...rest] = body.csv.split('\n').filter(Boolean);
        body = { csv: `${header}\n${rest.slice(r.next_row).join('\n')}\n` };
      }
    }
    const says = rows.map((r) => h('tr', {}, h('td', {}, r.sku), h('td', {}, r.action), h('td', {}, (r.change.says || []).join(' '))));
    out.replaceChildren(
      h('p', {}, `${preview ? 'Would create' : 'Created'} ${count(totals.create)}, ${preview ? 'change' : 'changed'} ${count(totals.update)} products; `,
        `${count(totals.received)} units in, ${count(totals.allocated)} to backorders, ${count(totals.to_stock)} on sale, `,
        `${count(totals.notify)} waitlist emails, ${count(totals.delayed)} delay notices.`),
      table(preview ? 'What the import will do' : 'What the import did', [['SKU'], ['Action'], ['Plan']], says));
    commit.hidden = !preview;
  }
  const go = (preview) => async () => {
    try { await run(preview); if (!preview) announce('Imported'); } catch (err) {
      error.textContent = err.field ? `${err.field}: ${err.message}` : err.message;
      commit.hidden = true;
    }
  };
  commit.addEventListener('click', go(false));
  text.addEventListener('input', () => { commit.hidden = true; });
  return h('section', { class: 'card', 'aria-labelledby': 'import-h' },
    h('h2', { id: 'import-h' }, 'Import a catalog'),
    h('p', {}, 'For a platform without a connection: a CSV with a header row. Columns: sku (required), name, policy, cap, release_date, price_cents, on_hand, low_stock_threshold, lead_time_days, supplier, url, discontinued, waitlist, platform, variant_id, product_id. Empty cells keep what a product has.'),
    field('CSV file', file), field('CSV', text),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: go(true) }, 'Preview'), commit),
    error, out);
}

async function groupsCard() {
  const g = await api('GET', '/v1/admin/groups');
  const section = h('section', { class: 'card', 'aria-labelledby': 'groups-h' });
  const error = h('p', { class: 'error', role: 'alert' });
  const status = h('div', { role: 'status' });
  const rows = h('tbody', {});
  const addRow = (r) => {
    const cells = {
      group: h('input', { value: r.group, 'aria-label': 'Group', spellcheck: 'false' }),
      sku: h('input', { value: r.sku || '', 'aria-label': 'SKU (empty: the whole shop)', spellcheck: 'false' }),
      backorder: h('input', { type: 'checkbox', checked: r.backorder, 'aria-label': 'May backorder' }),
      preorder: h('input', { type: 'checkbox', checked: r.preorder, 'aria-label': 'May preorder' }),
      max_quantity: h('input', { type: 'number', min: 1, max: 999, value: r.max_quantity || '', 'aria-label': 'At most per order' }),
    };
    const tr = h('tr', {}, Object.values(cells).map((c) => h('td', {}, c)),
      h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => tr.remove() }, 'Remove')));
    tr.cells = cells;
    rows.append(tr);
  };
  g.rules.forEach(addRow);
  const save = h('form', { 'aria-label': 'Customer-group rules', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    const rules = [...rows.children].map((tr) => {
      const c = tr.cells;
      const rule = { group: c.group.value.trim(), backorder: c.backorder.checked, preorder: c.preorder.checked };
      if (c.sku.value.trim()) rule.sku = c.sku.value.trim();
      if (c.max_quantity.value.trim()) rule.max_quantity = Number(c.max_quantity.value);
      return rule;
    });
    try {
      await api('PUT', '/v1/admin/groups', { rules });
      announce('Group rules saved');
    } catch (err) { error.textContent = err.field ? `${err.field}: ${err.message}` : err.message; }
  } },
  h('div', { class: 'scroll' }, h('table', {}, h('caption', {}, 'Rules: the first of (group, SKU), (group, shop), (*, SKU), (*, shop) applies'),
    h('thead', {}, h('tr', {}, ['Group (* for everyone)', 'SKU', 'Backorder', 'Preorder', 'Max per order', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    rows)),
  h('div', { class: 'actions' },
    h('button', { type: 'button', onclick: () => addRow({ group: '*', backorder: true, preorder: true }) }, 'Add rule'),
    h('button', { type: 'submit', class: 'primary' }, 'Save rules')));
  const rotate = h('button', { type: 'button', onclick: async () => {
    error.textContent = '';
    try {
      const k = await api('POST', '/v1/admin/groups/key', { grace_hours: 24 });
      const box = h('input', { value: k.key, readonly: true, spellcheck: 'false', 'aria-label': 'Group key' });
      status.replaceChildren(h('p', {}, 'The group key. Copy it to your shop\'s server now: it is not shown again. The previous key works for 24 more hours.'), box);
      box.select();
    } catch (err) { error.textContent = err.message; }
  } }, g.key ? 'Rotate the group key' : 'Make a group key');
  section.append(
    h('h2', { id: 'groups-h' }, 'Customer groups (B2B/B2C)'),
    h('p', {}, 'Your shop\'s server signs the shopper\'s group: token = group.expires.hex, hex being the HMAC-SHA256 of "shop.group.expires" under the group key; the widget passes it on.'),
    h('p', {}, g.key ? `Group key ${g.key.prefix} made ${when(g.key.created_at)}.` : 'No group key yet.', ' ', rotate),
    status, save, error);
  return section;
}

export async function connections() {
  const page = h('div', {});
  const list = h('div', {});
  async function redraw() {
    const r = await api('GET', '/v1/admin/connections');
    const cards = await Promise.all(r.items.map((c) => api('GET', `/v1/admin/connections/${encodeURIComponent(c.id)}`)));
    list.replaceChildren(...(cards.length ? cards.map((c) => connectionCard(c, redraw)) : [h('p', {}, 'No platform connected yet.')]));
  }
  await redraw();
  page.append(
    h('h1', {}, 'Connections'),
    h('p', {}, 'Your shop\'s platform is the source of stock, catalog and orders: its webhooks keep Restock in step, and a scheduled sync corrects what they missed.'),
    list,
    h('section', { class: 'card', 'aria-labelledby': 'connect-h' }, h('h2', { id: 'connect-h' }, 'Connect a platform'), connectForm(redraw)),
    importCard(),
    await groupsCard());
  return page;
}
