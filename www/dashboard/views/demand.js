// Demand: what are people waiting for, and what do we owe whom?
import { api, download } from '../api.js';
import { demandChart } from '../chart.js';
import { announce, clear, count, h, money, paged, table } from '../dom.js';

export async function demand() {
  let data = null;
  const ranked = h('div');
  const list = paged(async (cursor) => {
    const page = await api('GET', `/v1/admin/insights?days=30&limit=50${cursor ? `&cursor=${cursor}` : ''}`);
    data = data || page;
    return { items: page.products, next_cursor: page.next_cursor };
  }, (products) => clear(ranked).append(table('Products ranked by people waiting and units owed',
    [['#', 'num'], ['Product'], ['Waiting', 'num'], ['Backordered', 'num'], ['Value', 'num'], ['On hand', 'num'], ['Supplier']],
    products.map(rankRow))));
  await list.load(true);
  const t = data.totals;
  const rate = t.notified ? `${Math.round(t.conversion_rate * 100)}% of ${count(t.notified)} notified bought` : 'no restock emails yet';
  const exportButton = (label, path, file) => h('button', { type: 'button', onclick: async (e) => {
    e.target.disabled = true;
    try { await download(path, file); announce(`${file} downloaded`); } catch (err) { announce(err.message); } finally { e.target.disabled = false; }
  } }, label);
  return h('div', {},
    h('h1', {}, 'Demand'),
    h('ul', { class: 'stats', 'aria-label': 'Totals' },
      h('li', {}, h('b', {}, count(t.waiting)), h('span', {}, 'waiting on waitlists')),
      h('li', {}, h('b', {}, count(t.backordered_units)), h('span', {}, 'units on backorder')),
      h('li', {}, h('b', {}, money(t.backorder_value_cents)), h('span', {}, 'owed to backorder customers')),
      h('li', {}, h('b', {}, money(t.backorder_revenue_cents + t.recovered_cents)), h('span', {}, 'recovered revenue (backorders + orders after a restock email)')),
      h('li', {}, h('b', {}, count(t.converted)), h('span', {}, rate))),
    h('section', { class: 'card chart', 'aria-labelledby': 'chart-h' },
      h('h2', { id: 'chart-h' }, 'Signups and backorders, last 30 days'),
      demandChart(data.series),
      h('ul', { class: 'legend', 'aria-hidden': 'true' },
        h('li', {}, h('i', { class: 'key-signups' }), 'Waitlist signups'),
        h('li', {}, h('i', { class: 'key-backorders' }), 'Backorders'))),
    h('section', { 'aria-labelledby': 'rank-h' },
      h('h2', { id: 'rank-h' }, 'Products by waiting demand'),
      ranked, h('div', { class: 'actions' }, list.more)),
    h('div', { class: 'actions' },
      exportButton('Export waitlists (CSV)', '/v1/admin/export/waitlist.csv', 'waitlist.csv'),
      exportButton('Export backorders (CSV)', '/v1/admin/export/backorders.csv', 'backorders.csv'),
      exportButton('Supplier digest (CSV)', '/v1/admin/export/supplier-digest.csv', 'supplier-digest.csv')));
}

const rankRow = (p, i) => h('tr', {},
  h('td', { class: 'num' }, i + 1),
  h('td', {}, h('a', { href: `#/product/${encodeURIComponent(p.sku)}` }, p.name), h('span', { class: 'hint' }, p.sku)),
  h('td', { class: 'num' }, count(p.waiting + p.pending)),
  h('td', { class: 'num' }, count(p.backordered_units), p.delayed ? [' ', h('span', { class: 'badge warn' }, `${p.delayed} delayed`)] : null),
  h('td', { class: 'num' }, money(p.backorder_value_cents + p.waitlist_value_cents)),
  h('td', { class: 'num' }, count(p.on_hand)),
  h('td', {}, p.supplier || '—'));
