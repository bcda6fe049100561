// Notifications: the delivery log (sent, failed, retried, dead-lettered) with filters.
import { api } from '../api.js';
import { announce, clear, count, field, h, paged, table, when } from '../dom.js';

const statuses = ['', 'queued', 'sending', 'sent', 'failed', 'dead', 'skipped'];
const kinds = ['', 'confirm', 'restock', 'reminder', 'backorder_confirmation', 'delay', 'allocated', 'digest', 'status_update', 'orders_link'];

export async function deliveries() {
  const status = h('select', {}, statuses.map((s) => h('option', { value: s }, s || 'any status')));
  const kind = h('select', {}, kinds.map((k) => h('option', { value: k }, k || 'any kind')));
  const channel = h('select', {}, ['', 'email', 'sms', 'webhook'].map((c) => h('option', { value: c }, c || 'every channel')));
  const summary = h('p', { role: 'status' });
  const body = h('div');
  const list = paged((cursor) => {
    const q = new URLSearchParams({ limit: '50' });
    for (const [k, el] of [['status', status], ['kind', kind], ['channel', channel]]) if (el.value) q.set(k, el.value);
    if (cursor) q.set('cursor', cursor);
    return api('GET', `/v1/admin/deliveries?${q}`);
  }, (items, page) => {
    const c = page.counts || {};
    summary.textContent = `${count(c.sent)} sent, ${count(c.queued + c.sending)} in flight, ${count(c.failed)} failed and retrying, ${count(c.dead)} dead-lettered, ${count(c.skipped)} skipped.`;
    clear(body).append(table('Delivery log, newest first', [['When'], ['What'], ['To'], ['Status'], ['Attempts', 'num'], ['Last error'], ['Actions']], items.map((d) => h('tr', {},
      h('td', {}, when(d.created_at)),
      h('td', {}, d.channel === 'email' ? d.kind : `${d.channel} ${d.kind}`),
      h('td', {}, d.recipient),
      h('td', {}, h('span', { class: `badge ${d.status === 'sent' ? 'good' : d.status === 'dead' ? 'bad' : d.status === 'failed' ? 'warn' : ''}` }, d.status)),
      h('td', { class: 'num' }, d.attempts),
      h('td', {}, d.last_error || ''),
      h('td', {}, ['failed', 'dead'].includes(d.status) ? h('button', { type: 'button', class: 'link', onclick: async () => {
        await api('POST', `/v1/admin/deliveries/${encodeURIComponent(d.id)}/retry`);
        announce('Queued to send again');
        list.load(true);
      } }, 'Retry') : '', d.channel === 'webhook' ? h('button', { type: 'button', class: 'link', onclick: async () => {
        try {
          await api('POST', `/v1/admin/deliveries/${encodeURIComponent(d.id)}/replay`);
          announce('Replayed: the same event goes to its endpoint again');
          list.load(true);
        } catch (e) { announce(e.message); }
      } }, 'Replay') : '')))));
  });
  const load = list.load;
  const more = list.more;
  for (const el of [status, kind, channel]) el.addEventListener('change', () => load(true));
  await load(true);
  const suppressed = await api('GET', '/v1/admin/suppressions?limit=50');
  const why = { bounce: 'hard bounce', complaint: 'spam complaint' };
  const suppressions = h('section', { 'aria-labelledby': 'sup-h' }, h('h2', { id: 'sup-h' }, 'Suppressed addresses'),
    suppressed.items.length
      ? table('Addresses no longer mailed, newest first', [['When'], ['Address'], ['Why'], ['Reported by']], suppressed.items.map((x) => h('tr', {},
        h('td', {}, when(x.created_at)), h('td', {}, x.hint), h('td', {}, why[x.reason] || x.reason, x.detail ? h('span', { class: 'hint' }, x.detail) : null),
        h('td', {}, x.source))))
      : h('p', {}, 'None: no provider has reported a hard bounce or a spam complaint.'));
  return h('div', {},
    h('h1', {}, 'Notifications'),
    h('form', { class: 'grid card', onsubmit: (e) => e.preventDefault(), 'aria-label': 'Filters' },
      field('Status', status), field('Kind', kind), field('Channel', channel)),
    summary, body, h('div', { class: 'actions' }, more), suppressions);
}
