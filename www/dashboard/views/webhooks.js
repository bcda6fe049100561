// Webhook endpoints (Standard Webhooks): add one with its events, see each one's state,
// rotate its secret (shown once), disable or enable it, delete it. Replay is on the
// Notifications page, per delivery.
import { api } from '../api.js';
import { announce, field, h, when } from '../dom.js';

export async function webhooks() {
  const section = h('section', { class: 'card', 'aria-labelledby': 'hooks-h' });
  const status = h('div', { role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const fail = (e) => { error.textContent = e.field ? `${e.field}: ${e.message}` : e.message; };
  const secretShown = (e) => {
    const box = h('input', { value: e.secret, readonly: true, spellcheck: 'false', 'aria-label': `Signing secret of ${e.url}` });
    status.replaceChildren(h('p', {}, `Signing secret of ${e.url}. Copy it now: it is not shown again.`), box);
    box.select();
  };

  async function draw() {
    const list = await api('GET', '/v1/admin/webhooks');
    const url = h('input', { type: 'url', placeholder: 'https://', required: true });
    const events = h('select', { multiple: true, size: 5 }, ['*', ...list.events].map((ev) => h('option', { value: ev, selected: ev === '*' }, ev === '*' ? 'every event' : ev)));
    const add = h('form', { class: 'grid', 'aria-label': 'Add a webhook endpoint', onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      try {
        const created = await api('POST', '/v1/admin/webhooks', { url: url.value.trim(), events: [...events.selectedOptions].map((o) => o.value) });
        await draw();
        secretShown(created);
        announce('Webhook endpoint added');
      } catch (err) { fail(err); }
    } },
    field('Endpoint URL', url, 'HTTPS; events are signed in the Standard Webhooks format (README, "Webhooks")'),
    field('Events', events, 'hold Ctrl or ⌘ to pick several'),
    h('div', { class: 'actions' }, h('button', { type: 'submit', disabled: list.items.length >= list.max }, 'Add endpoint')));
    const act = (e, label, body, after) => h('button', { type: 'button', class: 'link', onclick: async () => {
      error.textContent = '';
      try {
        const r = body === null
          ? await api('DELETE', `/v1/admin/webhooks/${encodeURIComponent(e.id)}`)
          : await api('PATCH', `/v1/admin/webhooks/${encodeURIComponent(e.id)}`, body);
        await draw();
        if (after) after(r);
      } catch (err) { fail(err); }
    } }, label);
    const rows = list.items.map((e) => h('tr', {},
      h('td', {}, e.url, e.legacy ? h('span', { class: 'hint' }, ' also sends the old Restock-Signature until rotated') : null),
      h('td', {}, e.events.join(', ')),
      h('td', {}, `${e.secret_prefix}…`, e.previous_secret_until ? h('span', { class: 'hint' }, ` old secret also signs until ${when(e.previous_secret_until)}`) : null),
      h('td', {}, h('span', { class: `badge ${e.enabled ? 'good' : 'bad'}` }, e.enabled ? 'enabled' : 'disabled'), e.disabled_reason ? h('span', { class: 'hint' }, ` ${e.disabled_reason}`) : null),
      h('td', {},
        act(e, 'Rotate secret', { rotate_secret: true }, secretShown), ' ',
        act(e, e.enabled ? 'Disable' : 'Enable', { enabled: !e.enabled }), ' ',
        act(e, 'Delete', null, () => announce('Webhook endpoint deleted')))));
    section.replaceChildren(
      h('h2', { id: 'hooks-h' }, 'Webhooks'),
      list.items.length
        ? h('table', {}, h('caption', {}, `Endpoints (${list.items.length} of at most ${list.max})`),
          h('thead', {}, h('tr', {}, ['URL', 'Events', 'Secret', 'State', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, rows))
        : h('p', {}, 'No endpoints yet.'),
      add, status, error);
  }
  await draw();
  return section;
}
