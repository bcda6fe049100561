// Editable emails: the subject and first paragraph of each email kind in each language,
// with a live preview rendered by the Worker's own renderer (PUT ...?preview=1, which
// saves nothing). Empty fields use the built-in copy.
import { api } from '../api.js';
import { announce, field, h } from '../dom.js';

const KINDS = [
  ['restock', 'Back in stock'], ['confirm', 'Confirm a waitlist signup'], ['reminder', 'Reminder'],
  ['backorder_confirmation', 'Backorder confirmation'], ['delay', 'Delay notice'], ['allocated', 'Ready to ship'],
  ['status_update', 'Regular status update'],
];
const LANGS = [['en', 'English'], ['de', 'German'], ['fr', 'French'], ['es', 'Spanish'], ['ja', 'Japanese'], ['ar', 'Arabic', 'rtl'], ['he', 'Hebrew', 'rtl']];

export async function emails() {
  let list = (await api('GET', '/v1/admin/emails')).items;
  const kind = h('select', {}, KINDS.map(([v, l]) => h('option', { value: v }, l)));
  const lang = h('select', {}, LANGS.map(([v, l]) => h('option', { value: v }, l)));
  const subject = h('input', { name: 'subject', maxlength: 150, autocomplete: 'off' });
  const intro = h('textarea', { name: 'intro', rows: 3, maxlength: 1000 });
  const sku = h('input', { name: 'sku', maxlength: 64, autocomplete: 'off', placeholder: 'a sample product' });
  const placeholders = h('p', { class: 'hint' });
  const status = h('p', { role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const previewSubject = h('p', {}, h('strong', {}, 'Subject: '), h('span', { id: 'preview-subject' }));
  const previewText = h('pre', { class: 'snippet', id: 'preview-text' });
  const frame = h('iframe', { class: 'preview-frame', title: 'The email as shoppers get it (HTML part)', sandbox: '' });
  const current = () => list.find((i) => i.kind === kind.value && i.lang === lang.value);
  const nul = (el) => (el.value.trim() === '' ? null : el.value);
  const body = () => ({ subject: nul(subject), intro: nul(intro), sku: nul(sku) });

  function show() {
    const c = current();
    const dir = (LANGS.find(([v]) => v === lang.value) || [])[2] || 'auto';
    for (const el of [subject, intro]) { el.setAttribute('lang', lang.value); el.setAttribute('dir', dir); el.removeAttribute('aria-invalid'); }
    subject.value = c.subject || '';
    intro.value = c.intro || '';
    subject.placeholder = c.built_in.subject;
    intro.placeholder = c.built_in.intro;
    placeholders.textContent = `Placeholders: ${c.placeholders.join(' ')}. Anything else in braces is refused. Empty: the built-in text shown greyed.`;
    preview();
  }

  let timer = null;
  let asked = 0;
  async function preview() {
    const n = ++asked;
    error.textContent = '';
    try {
      const r = await api('PUT', `/v1/admin/emails/${kind.value}/${lang.value}?preview=1`, body());
      if (n !== asked) return;
      document.getElementById('preview-subject').textContent = r.email.subject;
      previewText.textContent = r.email.text;
      frame.srcdoc = r.email.html;
      for (const el of [subject, intro, sku]) el.removeAttribute('aria-invalid');
    } catch (err) {
      if (n !== asked) return;
      error.textContent = err.field ? `${err.field}: ${err.message}` : err.message;
      const bad = { subject, intro, sku }[err.field];
      if (bad) bad.setAttribute('aria-invalid', 'true');
    }
  }
  const later = () => { clearTimeout(timer); timer = setTimeout(preview, 300); };
  for (const el of [subject, intro, sku]) el.addEventListener('input', later);
  kind.addEventListener('change', show);
  lang.addEventListener('change', show);

  async function save(reset) {
    status.textContent = '';
    error.textContent = '';
    try {
      const sent = reset ? { subject: null, intro: null } : { subject: nul(subject), intro: nul(intro) };
      await api('PUT', `/v1/admin/emails/${kind.value}/${lang.value}`, sent);
      list = (await api('GET', '/v1/admin/emails')).items;
      show();
      status.textContent = reset ? 'Back to the built-in copy.' : 'Saved. New emails use it.';
      announce(status.textContent);
    } catch (err) {
      error.textContent = err.field ? `${err.field}: ${err.message}` : err.message;
    }
  }

  const form = h('form', { class: 'card', 'aria-label': 'Email copy', onsubmit: (e) => { e.preventDefault(); save(false); } },
    h('div', { class: 'grid' }, field('Email', kind), field('Language', lang), field('Preview with product (SKU)', sku, 'optional')),
    field('Subject', subject), field('Intro', intro, 'the first paragraph'), placeholders,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save'),
      h('button', { type: 'button', onclick: () => save(true) }, 'Use the built-in copy')),
    status, error);
  const out = h('section', { class: 'card', 'aria-labelledby': 'email-preview-h' },
    h('h2', { id: 'email-preview-h' }, 'Preview'), previewSubject, previewText, frame);
  show();
  return h('div', {}, h('h1', {}, 'Emails'),
    h('p', { class: 'hint' }, 'Your own subject and first paragraph per email and language. Text only: what you type is shown as text, never as markup.'),
    form, out);
}
