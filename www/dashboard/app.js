// The Restock merchant dashboard: a small single-page app on the admin API.
// Routes: #/ demand · #/products · #/product/SKU · #/deliveries · #/settings · #/embed · #/connections
// · #/desk · #/emails
import { api, ApiError, forgetKey, getKey, setKey } from './api.js';
import { clear, field, h, setCurrency } from './dom.js';
import { connections } from './views/connections.js';
import { demand } from './views/demand.js';
import { deliveries } from './views/deliveries.js';
import { desk } from './views/desk.js';
import { embed } from './views/embed.js';
import { emails } from './views/emails.js';
import { product, products } from './views/products.js';
import { settings } from './views/settings.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let shop = null;

const routes = [
  [/^#\/?$/, 'Demand', demand],
  [/^#\/products$/, 'Products', products],
  [/^#\/product\/([A-Za-z0-9._-]+)$/, 'Product', product],
  [/^#\/deliveries$/, 'Notifications', deliveries],
  [/^#\/settings$/, 'Settings', settings],
  [/^#\/embed$/, 'Embed', embed],
  [/^#\/desk$/, 'Service desk', desk],
  [/^#\/emails$/, 'Emails', emails],
  [/^#\/connections$/, 'Connections', connections],
];

function signIn(message) {
  nav.hidden = true;
  document.getElementById('shop-name').textContent = '';
  document.title = 'Sign in · Restock';
  const key = h('input', { type: 'password', autocomplete: 'current-password', required: true, spellcheck: 'false' });
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' }, message || '');
  key.setAttribute('aria-describedby', 'signin-error');
  const form = h('form', { class: 'card signin', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const s = await api('GET', '/v1/admin/settings', undefined, key.value.trim());
      setKey(key.value.trim());
      shop = s;
      route();
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 401
        ? 'That key was not accepted. Use the shop secret key (it starts with sk_).'
        : err.message;
      key.setAttribute('aria-invalid', 'true');
      key.focus();
    }
  } },
  h('h1', {}, 'Sign in'),
  h('p', {}, 'Use your shop\'s secret key. It stays in this tab only and is forgotten when you close it.'),
  field('Shop secret key', key),
  error,
  h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, 'Sign in')));
  clear(main).append(form);
  key.focus();
}

async function route() {
  if (!getKey()) return signIn();
  try {
    if (!shop) shop = await api('GET', '/v1/admin/settings');
  } catch (err) {
    forgetKey();
    return signIn(err instanceof ApiError && err.status === 401 ? 'Your session ended. Sign in again.' : err.message);
  }
  setCurrency(shop.currency);
  document.getElementById('shop-name').textContent = `· ${shop.name}`;
  nav.hidden = false;
  const hash = location.hash || '#/';
  const found = routes.find(([re]) => re.test(hash)) || routes[0];
  const [re, title, view] = found;
  const args = (hash.match(re) || []).slice(1).map(decodeURIComponent);
  for (const a of nav.querySelectorAll('a')) {
    const here = a.getAttribute('href') === hash || (title === 'Product' && a.getAttribute('href') === '#/products');
    if (here) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  document.title = `${title} · Restock`;
  clear(main).append(h('p', { role: 'status' }, 'Loading…'));
  try {
    const content = await view({ shop, args, refresh: route, setShop: (s) => { shop = s; } });
    clear(main).append(content);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) { forgetKey(); shop = null; return signIn('Your session ended. Sign in again.'); }
    clear(main).append(h('h1', {}, title), h('p', { class: 'error', role: 'alert' }, err.message));
  }
  const heading = main.querySelector('h1');
  if (heading) { heading.tabIndex = -1; heading.focus(); }
}

/** Shows what /v1/health reports as misconfigured (missing secrets, no email provider
 * in production, ...): the merchant, not a shopper, should be the one to find out. */
async function showHealth() {
  const box = document.getElementById('health');
  let report;
  try {
    const resp = await fetch('/v1/health', { headers: { accept: 'application/json' } });
    report = await resp.json();
  } catch {
    return;
  }
  const problems = Array.isArray(report.problems) ? report.problems : [];
  if (!problems.length) { box.hidden = true; return; }
  clear(box).append(
    h('p', {}, h('strong', {}, 'This Restock deployment is misconfigured'),
      ' — shoppers may not get their emails until the operator fixes it:'),
    h('ul', {}, problems.map((p) => h('li', {}, String(p.message), ' ', h('code', {}, String(p.code))))));
  box.hidden = false;
}

document.getElementById('sign-out').addEventListener('click', () => {
  forgetKey();
  shop = null;
  location.hash = '#/';
  signIn('Signed out.');
});
window.addEventListener('hashchange', route);
showHealth();
route();
