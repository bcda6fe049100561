// The service desk: find a shopper by email address or order reference, see their
// backorders, waitlist signups, emails and notes, and act: cancel, move (previewed),
// end a signup, resend an email, add a note. Every list pages through the API.
import { api } from '../api.js';
import { announce, clear, day, field, h, paged, table, when } from '../dom.js';

const enc = encodeURIComponent;
const planWords = (plan) => (plan.says || []).join(' ');

export async function desk() {
  const q = h('input', { type: 'search', maxlength: 254, autocomplete: 'off', spellcheck: 'false', placeholder: 'ada@example.com or #1001' });
  const found = h('p', { role: 'status' });
  const results = h('div');
  const search = h('form', { class: 'card grid', role: 'search', onsubmit: (e) => { e.preventDefault(); lookup(q.value.trim(), found, results); } },
    field('Email address or order reference', q, 'a backorder id, a platform order number, a reported sale or an email id'),
    h('div', {}, h('button', { type: 'submit', class: 'primary' }, 'Find')));
  return h('div', {}, h('h1', {}, 'Service desk'),
    h('p', { class: 'hint' }, 'Look a shopper up across backorders, waitlists and emails, then act. Every action is in the audit log.'),
    search, found, results);
}

async function lookup(query, found, results) {
  clear(results);
  found.textContent = '';
  if (!query) return;
  const list = (section) => (cursor) => api('GET', `/v1/admin/desk/${section}?q=${enc(query)}&limit=20${cursor ? `&cursor=${cursor}` : ''}`);
  let first;
  try {
    first = await list('backorders')(null);
  } catch (err) {
    found.textContent = err.field ? `${err.field}: ${err.message}` : err.message;
    return;
  }
  const email = first.query.email;
  if (!email) { found.textContent = `Nothing of this shop matches “${query}”.`; return; }
  found.textContent = `Showing everything for ${email}.`;
  const redo = () => lookup(query, found, results);
  results.append(
    await section('Backorders', 'desk-bo', list('backorders'), (rows) => backorderRows(rows, redo)),
    await section('Waitlist signups', 'desk-wl', list('signups'), (rows) => signupRows(rows, redo)),
    await section('Emails', 'desk-dl', list('deliveries'), (rows) => deliveryRows(rows, redo)),
    await notes(email, list('notes'), redo));
}

async function section(title, id, fetchPage, draw) {
  const body = h('div');
  const p = paged(fetchPage, (rows) => clear(body).append(rows.length ? draw(rows) : h('p', {}, 'None.')));
  await p.load(true);
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), body, h('div', { class: 'actions' }, p.more));
}

/** An inline "preview, then confirm" for one row's action. */
function confirmInCell(cell, previewText, label, action, run, done) {
  const go = h('button', { type: 'button', class: 'danger', 'data-action': action, onclick: async () => {
    go.disabled = true;
    try { await run(); done(); } catch (err) { cell.append(h('p', { class: 'error', role: 'alert' }, err.message)); go.disabled = false; }
  } }, label);
  cell.replaceChildren(h('span', { class: 'preview' }, `${previewText} `), go);
  go.focus();
}

function backorderRows(rows, redo) {
  return table('Backorders, newest first', [['Product'], ['Qty', 'num'], ['Status'], ['#', 'num'], ['Expected'], ['Placed'], ['Actions']], rows.map((b) => {
    const actions = h('td', {});
    if (b.status === 'open') {
      const to = h('input', { 'aria-label': `Move ${b.id} to SKU`, pattern: '[A-Za-z0-9][A-Za-z0-9._-]{0,63}', size: 12, autocomplete: 'off' });
      const error = h('p', { class: 'error', role: 'alert' });
      const move = h('button', { type: 'button', 'data-action': 'move', onclick: async () => {
        error.textContent = '';
        const path = `/v1/admin/backorders/${enc(b.id)}/move`;
        try {
          const plan = await api('POST', `${path}?preview=1`, { sku: to.value.trim() });
          confirmInCell(actions, planWords(plan), 'Confirm: move', 'confirm-move', () => api('POST', path, { sku: to.value.trim() }),
            () => { announce('Moved'); redo(); });
        } catch (err) { error.textContent = err.message; }
      } }, 'Move');
      const cancel = h('button', { type: 'button', class: 'link', 'data-action': 'cancel', onclick: async () => {
        const path = `/v1/admin/backorders/${enc(b.id)}/cancel`;
        const plan = await api('POST', `${path}?preview=1`);
        confirmInCell(actions, planWords(plan), 'Confirm: cancel it', 'confirm-cancel', () => api('POST', path), () => { announce('Backorder cancelled'); redo(); });
      } }, 'Cancel');
      actions.append(h('div', { class: 'actions' }, to, move, cancel), error);
    }
    return h('tr', {},
      h('td', {}, h('a', { href: `#/product/${enc(b.sku)}` }, b.sku), h('span', { class: 'hint' }, `${b.kind} ${b.id}`)),
      h('td', { class: 'num' }, b.allocated ? `${b.allocated}/${b.quantity}` : b.quantity),
      h('td', {}, b.status, b.delayed ? [' ', h('span', { class: 'badge warn' }, 'delayed')] : null),
      h('td', { class: 'num' }, b.position === null ? '—' : b.position),
      h('td', {}, b.current_promise ? day(b.current_promise) : '—'),
      h('td', {}, when(b.created_at)),
      actions);
  }));
}

function signupRows(rows, redo) {
  return table('Waitlist signups, newest first', [['Product'], ['Status'], ['Signed up'], ['Notified'], ['Actions']], rows.map((s) => {
    const actions = h('td', {});
    const error = h('p', { class: 'error', role: 'alert' });
    if (s.status === 'pending' || s.status === 'active') {
      const to = h('input', { 'aria-label': `Move signup ${s.id} to SKU`, size: 12, autocomplete: 'off' });
      const move = h('button', { type: 'button', onclick: async () => {
        error.textContent = '';
        try { await api('POST', `/v1/admin/signups/${enc(s.id)}/move`, { sku: to.value.trim() }); announce('Signup moved'); redo(); } catch (err) { error.textContent = err.message; }
      } }, 'Move');
      actions.append(h('div', { class: 'actions' }, to, move));
    }
    if (s.status !== 'unsubscribed') {
      actions.append(h('button', { type: 'button', class: 'link', onclick: async () => {
        try { await api('POST', `/v1/admin/signups/${enc(s.id)}/cancel`); announce('Signup ended'); redo(); } catch (err) { error.textContent = err.message; }
      } }, 'End signup'));
    }
    actions.append(error);
    return h('tr', {}, h('td', {}, s.sku), h('td', {}, s.status, s.ended_reason ? h('span', { class: 'hint' }, s.ended_reason) : null),
      h('td', {}, when(s.created_at)), h('td', {}, when(s.notified_at)), actions);
  }));
}

function deliveryRows(rows, redo) {
  return table('Emails to this address, newest first', [['When'], ['What'], ['Status'], ['Actions']], rows.map((d) => {
    const actions = h('td', {});
    if (d.status === 'sent') {
      actions.append(h('button', { type: 'button', class: 'link', onclick: async () => {
        try { await api('POST', `/v1/admin/deliveries/${enc(d.id)}/resend`); announce('Queued to send again'); redo(); } catch (err) { actions.append(h('p', { class: 'error', role: 'alert' }, err.message)); }
      } }, 'Resend'));
    }
    return h('tr', {}, h('td', {}, when(d.created_at)), h('td', {}, d.kind, d.sku ? h('span', { class: 'hint' }, d.sku) : null),
      h('td', {}, d.status, d.last_error ? h('span', { class: 'hint' }, d.last_error) : null), actions);
  }));
}

async function notes(email, fetchPage, redo) {
  const text = h('textarea', { name: 'note', rows: 2, maxlength: 2000 });
  const error = h('p', { class: 'error', role: 'alert' });
  const add = h('button', { type: 'button', class: 'primary', 'data-action': 'note', onclick: async () => {
    error.textContent = '';
    try { await api('POST', '/v1/admin/desk/notes', { email, text: text.value }); announce('Note added'); redo(); } catch (err) { error.textContent = err.message; }
  } }, 'Add note');
  const s = await section('Notes', 'desk-nt', fetchPage, (rows) => h('ul', {}, rows.map((n) => h('li', {}, n.text, h('span', { class: 'hint' }, `${when(n.created_at)} · ${n.actor}…`)))));
  s.append(field('New note', text, 'one paragraph; kept until the address is erased or the retention period ends'), h('div', { class: 'actions' }, add), error);
  return s;
}
