// Shop settings: origins, double opt-in, waves, holds, sender, postal address,
// follow-ups, consent, code, text messages; webhook endpoints (./webhooks.js).
import { api, setKey } from '../api.js';
import { announce, field, h, when } from '../dom.js';
import { webhooks } from './webhooks.js';

// The languages the widget, emails and link pages speak (restock_shared::Lang).
const LANGUAGES = [
  ['en', 'English'], ['de', 'German'], ['fr', 'French'], ['es', 'Spanish'],
  ['ja', 'Japanese'], ['ar', 'Arabic', 'rtl'], ['he', 'Hebrew', 'rtl'],
];

export async function settings({ shop, setShop }) {
  const s = await api('GET', '/v1/admin/settings');
  const texts = s.consent_texts || {};
  const input = (value, attrs) => h('input', { value: value === null || value === undefined ? '' : value, ...attrs });
  const f = {
    name: input(s.name, { required: true }),
    allowed_origins: h('textarea', { rows: 3, spellcheck: 'false' }, s.allowed_origins.join('\n')),
    double_opt_in: h('input', { type: 'checkbox', checked: s.double_opt_in }),
    record_country: h('input', { type: 'checkbox', checked: s.record_country }),
    release_ratio: input(s.release_ratio, { type: 'number', min: 0.1, max: 10, step: 0.1 }),
    release_interval_minutes: input(s.release_interval_minutes, { type: 'number', min: 5, max: 10080 }),
    hold_hours: input(s.hold_hours, { type: 'number', min: 1, max: 168 }),
    handling_days: input(s.handling_days, { type: 'number', min: 0, max: 30 }),
    retention_days: input(s.retention_days, { type: 'number', min: 30, max: 3650 }),
    sender_name: input(s.sender_name),
    reply_to: input(s.reply_to, { type: 'email' }),
    postal_address: input(s.postal_address, { maxlength: 300, autocomplete: 'street-address' }),
    from_transactional: input(s.from_transactional, { type: 'email' }),
    from_subscription: input(s.from_subscription, { type: 'email' }),
    reminder_days: input(s.reminder_days, { type: 'number', min: 1, max: 90 }),
    waitlist_expiry_days: input(s.waitlist_expiry_days, { type: 'number', min: 7, max: 3650 }),
    consent_text: h('textarea', { rows: 3, maxlength: 1000 }, s.consent_text),
    discount_code: input(s.discount_code, { maxlength: 64 }),
    backorder_mode: h('select', {}, [['api', 'The widget places the backorder'], ['event', 'My cart handles it (restock:backorder event)']].map(([v, l]) => h('option', { value: v, selected: s.backorder_mode === v }, l))),
    shop_url: input(s.shop_url, { type: 'url' }),
    brand_color: input(s.brand_color || '#1f5f4a', { type: 'color' }),
    // The guides' practices (issue 18).
    status_update_days: input(s.status_update_days, { type: 'number', min: 0, max: 90 }),
    service_level: input(s.service_level, { type: 'number', min: 0.5, max: 0.999, step: 0.001 }),
    free_shipping: h('input', { type: 'checkbox', checked: s.free_shipping }),
    'incentive_emails.restock': h('input', { type: 'checkbox', checked: (s.incentive_emails || []).includes('restock') }),
    'incentive_emails.backorder_confirmation': h('input', { type: 'checkbox', checked: (s.incentive_emails || []).includes('backorder_confirmation') }),
    sms_enabled: h('input', { type: 'checkbox', checked: s.sms_enabled }),
    sms_consent_text: h('textarea', { rows: 3, maxlength: 1000 }, s.sms_consent_text),
    sms_budget: input(s.sms_budget, { type: 'number', min: 0, max: 100000 }),
    attribution_click_days: input(s.attribution_click_days, { type: 'number', min: 0, max: 30, required: true }),
    attribution_delivery_days: input(s.attribution_delivery_days, { type: 'number', min: 0, max: 30, required: true }),
  };
  // Keyed like the API's problem `field` (`consent_texts.de`), so a refused text is
  // the one that gets focus.
  for (const [tag, , dir] of LANGUAGES) {
    f[`consent_texts.${tag}`] = h('textarea', { rows: 2, maxlength: 1000, lang: tag, dir: dir || 'auto' }, texts[tag] || '');
  }
  const status = h('p', { role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const problems = h('div', { role: 'alert' });
  const showProblems = (list) => problems.replaceChildren(...(list || []).map((p) => h('p', { class: 'error' }, `${p.code}: ${p.message}`)));
  showProblems(s.problems);
  const num = (el) => (el.value.trim() === '' ? null : Number(el.value));
  const str = (el) => (el.value.trim() === '' ? null : el.value.trim());
  const form = h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    status.textContent = '';
    error.textContent = '';
    for (const el of Object.values(f)) el.removeAttribute('aria-invalid');
    const body = {
      name: f.name.value,
      allowed_origins: f.allowed_origins.value.split(/\s+/).filter(Boolean),
      double_opt_in: f.double_opt_in.checked,
      record_country: f.record_country.checked,
      release_ratio: num(f.release_ratio),
      release_interval_minutes: num(f.release_interval_minutes),
      hold_hours: num(f.hold_hours),
      handling_days: num(f.handling_days),
      retention_days: num(f.retention_days),
      sender_name: f.sender_name.value,
      reply_to: str(f.reply_to),
      postal_address: str(f.postal_address),
      from_transactional: str(f.from_transactional),
      from_subscription: str(f.from_subscription),
      reminder_days: num(f.reminder_days),
      waitlist_expiry_days: num(f.waitlist_expiry_days),
      consent_text: f.consent_text.value,
      // Only the languages with a text: an empty box means "use the default".
      consent_texts: Object.fromEntries(LANGUAGES
        .map(([tag]) => [tag, f[`consent_texts.${tag}`].value.trim()])
        .filter(([, text]) => text !== '')),
      discount_code: str(f.discount_code),
      backorder_mode: f.backorder_mode.value,
      shop_url: str(f.shop_url),
      brand_color: f.brand_color.value,
      status_update_days: num(f.status_update_days) || 0,
      service_level: num(f.service_level),
      free_shipping: f.free_shipping.checked,
      incentive_emails: ['restock', 'backorder_confirmation'].filter((k) => f[`incentive_emails.${k}`].checked),
      sms_enabled: f.sms_enabled.checked,
      sms_consent_text: str(f.sms_consent_text),
      sms_budget: num(f.sms_budget),
      attribution_click_days: Number(f.attribution_click_days.value),
      attribution_delivery_days: Number(f.attribution_delivery_days.value),
    };
    if (body.sms_budget === null) delete body.sms_budget;
    try {
      const saved = await api('PATCH', '/v1/admin/settings', body);
      setShop(saved);
      showProblems(saved.problems);
      status.textContent = 'Saved. The widget follows within seconds.';
      announce('Settings saved');
    } catch (err) {
      error.textContent = err.field ? `${err.field}: ${err.message}` : err.message;
      const bad = err.field && f[err.field];
      if (bad) { bad.setAttribute('aria-invalid', 'true'); bad.focus(); }
    }
  } },
  h('h2', {}, 'Storefront'),
  h('div', { class: 'grid' },
    field('Shop name', f.name),
    field('Allowed origins', f.allowed_origins, 'one per line, e.g. https://shop.example — browsers elsewhere cannot call your API'),
    field('Shop URL', f.shop_url, 'links in restock emails point here'),
    field('Backorder button', f.backorder_mode),
    field('Waitlist consent text', f.consent_text, 'shown beside the checkbox and stored with each signup')),
  h('h2', {}, 'Consent text per language'),
  h('p', { class: 'hint' }, 'Shoppers whose widget speaks one of these languages see its text; leave a box empty to show the waitlist consent text above.'),
  h('div', { class: 'grid' },
    LANGUAGES.map(([tag, name]) => field(`${name} (${tag})`, f[`consent_texts.${tag}`]))),
  h('h2', {}, 'Waitlist releases'),
  h('div', { class: 'grid' },
    h('label', { class: 'check' }, f.double_opt_in, 'Double opt-in (confirm by email)'),
    h('label', { class: 'check' }, f.record_country, 'Record the signup’s country (from its IP) with the consent'),
    field('Notify per unit', f.release_ratio, 'subscribers emailed per unit back in stock (1 = one each)'),
    field('Minutes between waves', f.release_interval_minutes),
    field('Hold a unit for (hours)', f.hold_hours, 'empty: no holds'),
    field('Handling days', f.handling_days, 'added to every ship date'),
    field('Keep ended records (days)', f.retention_days, 'then the scheduled purge removes them'),
    field('Discount code', f.discount_code, 'an incentive, in the emails picked under Incentives'),
    field('Remind once after (days)', f.reminder_days, 'to notified subscribers who have not bought; empty: no reminder'),
    field('Signups expire after (days)', f.waitlist_expiry_days, 'empty: never')),
  h('h2', {}, 'Emails'),
  h('div', { class: 'grid' },
    field('Sender name', f.sender_name),
    field('Reply-to address', f.reply_to),
    field('Postal address', f.postal_address, 'in every email footer; required before email is sent in production'),
    field('From for orders', f.from_transactional, 'backorder and preorder mail; empty: the Worker’s EMAIL_FROM'),
    field('From for restock notices', f.from_subscription, 'restock notices and reminders; empty: EMAIL_FROM'),
    field('Brand colour', f.brand_color),
    field('Status update every (days)', f.status_update_days, 'to shoppers waiting on a backorder, when nothing else was sent to them; 0: off')),
  h('h2', {}, 'Incentives'),
  h('div', { class: 'grid' },
    h('label', { class: 'check' }, f.free_shipping, 'A free-shipping note'),
    h('label', { class: 'check' }, f['incentive_emails.restock'], 'Discount code and note in back-in-stock emails'),
    h('label', { class: 'check' }, f['incentive_emails.backorder_confirmation'], 'Discount code and note in backorder confirmations')),
  h('h2', {}, 'Forecasts'),
  h('div', { class: 'grid' },
    field('Service level', f.service_level, 'the chance of not running out while you wait for the supplier, e.g. 0.95')),
  h('h2', {}, 'Text messages'),
  h('p', { class: 'hint' }, 'Shoppers can add a phone number to a waitlist signup and get one text when the product is back (through the Worker’s SMS provider; a reply of STOP ends texts).'),
  h('div', { class: 'grid' },
    h('label', { class: 'check' }, f.sms_enabled, 'Offer a text message in the waitlist form'),
    field('SMS consent text', f.sms_consent_text, 'shown beside the phone field and stored with each number; empty: the built-in text'),
    field('Texts per restock wave', f.sms_budget, 'the oldest numbers first; the rest of the wave is emailed only')),
  h('h2', {}, 'Attribution'),
  h('div', { class: 'grid' },
    field('Credit a sale after a click for (days)', f.attribution_click_days, 'direct: bought within this many days of clicking a restock notice (0: off)'),
    field('Credit a sale after delivery for (days)', f.attribution_delivery_days, 'assisted: bought within this many days of the notice arriving, without a click (0: off)')),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save settings')),
  status, error);
  return h('div', {}, h('h1', {}, 'Settings'), h('p', {}, `Shop ${shop.id} · key ${s.key_prefix}…`), problems, form,
    await webhooks(), rotation(), await auditLog());
}

// A new secret key: shown once; the old key keeps working for the grace period chosen.
function rotation() {
  const grace = h('select', {}, [['24', '1 day'], ['168', '7 days'], ['720', '30 days'], ['1', '1 hour'], ['0', 'none: refuse it now']]
    .map(([v, l]) => h('option', { value: v }, l)));
  const shown = h('div', { role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const rotate = h('button', { type: 'button', onclick: async () => {
    error.textContent = '';
    try {
      const r = await api('POST', '/v1/admin/key/rotate', { grace_hours: Number(grace.value) });
      setKey(r.secret_key); // this tab goes on with the new key
      const key = h('input', { value: r.secret_key, readonly: true, spellcheck: 'false', 'aria-label': 'New secret key' });
      shown.replaceChildren(
        h('p', {}, 'Your new secret key. Copy it now: it is not shown again. The old key works until ', new Date(r.previous_key_expires_at).toLocaleString(), '.'),
        key);
      key.select();
    } catch (e) {
      error.textContent = e.message;
    }
  } }, 'Rotate the secret key');
  return h('section', { class: 'card', 'aria-labelledby': 'key-h' },
    h('h2', { id: 'key-h' }, 'Secret key'),
    h('p', { class: 'hint' }, 'Rotating issues a new key. Integrations using the old one keep working for the grace period, then get 401.'),
    h('div', { class: 'grid' }, field('Old key keeps working for', grace)),
    h('div', { class: 'actions' }, rotate), shown, error);
}

// The audit log: the shop's last changes through the admin API, newest first.
async function auditLog() {
  const log = await api('GET', '/v1/admin/audit?limit=20');
  const section = h('section', { class: 'card', 'aria-labelledby': 'audit-h' }, h('h2', { id: 'audit-h' }, 'Recent changes'));
  if (!log.items.length) return section.append(h('p', {}, 'No changes yet.')), section;
  section.append(h('table', {}, h('caption', {}, 'Changes through the admin API, newest first'),
    h('thead', {}, h('tr', {}, ['When', 'Key', 'Change', 'What changed', 'Status'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, log.items.map((e) => h('tr', {}, h('td', {}, when(e.at)), h('td', {}, `${e.actor}…`),
      h('td', {}, h('code', {}, `${e.method} ${e.path}`)), h('td', {}, changed(e.detail)), h('td', {}, String(e.status)))))));
  return section;
}

// "cap 5 → 8; on hand 0 → 12; Received 12 units…": fields before and after, then the plan's words.
const show = (v) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
function changed(detail) {
  if (!detail) return '';
  const parts = [];
  for (const key of ['settings', 'product']) {
    for (const [f, d] of Object.entries(detail[key] || {})) parts.push(`${f.replaceAll('_', ' ')} ${show(d.before)} → ${show(d.after)}`);
  }
  const stock = detail.stock;
  if (stock) {
    if (stock.on_hand && stock.on_hand.before !== stock.on_hand.after) parts.push(`on hand ${stock.on_hand.before} → ${stock.on_hand.after}`);
    parts.push(...(stock.says || []));
  }
  return parts.join('; ');
}
