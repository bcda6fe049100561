// The loader's work, bundled into `widget.js` (the one file a shop embeds) by
// `cargo xtask build`, which passes `C`: what Rust decides for it (built from
// `widget/src/view.rs`, `api.rs` and `restock_shared`): the markup's parts and the
// stylesheet, the ids of the texts that read in the language's direction, the most
// SKUs and variants one read may ask for, the group-token codes and the SKU pattern.
//
// It numbers the mount points, builds their shadow roots, reads their availability
// (batched: per language, platform and group token, each SKU once, at most `C.batch`
// a request) and paints each status block from the Worker's words (`say`: status
// line, tone, date, places left, alternatives) the moment the answer arrives: the
// first status needs nothing else. The main script joins through the object this
// returns (`B`): its platform adapters call `attach`, and its forms, once the wasm is
// in, get each widget (`on.mount`) and each answer (`on.item`), read `C.codes`, and
// ask for `read(1)` after an order. Never throws into the host page.

export function loader(C, script) {
  const d = script.dataset;
  const api = (d.api || new URL(script.src).origin).replace(/\/+$/, '');
  const lang = d.lang || document.documentElement.lang || navigator.language || '';
  const sku = new RegExp(C.sku);
  // W[id]: a widget (its element and shadow root, what it shows: `sku` or platform
  // `variant`, `platform`, `group` token, `lang`, `compact`; `wait`, the read it
  // waits for; `seen`, its last answer).
  const W = [], ids = new WeakMap(), bad = new Set(), on = {};
  let sheet, queued, fresh, marked, timer, delay = 5e3;

  // A widget's shadow root, with Rust's markup and stylesheet (a constructed one, so a
  // strict Content-Security-Policy allows it, where a <style> is blocked).
  function build(w) {
    let root;
    try { root = w.el.attachShadow({ mode: 'open' }); } catch (_) { return; }
    if (root.adoptedStyleSheets && CSSStyleSheet.prototype.replaceSync) {
      if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(C.style);
      root.adoptedStyleSheets = [sheet];
    } else {
      const style = document.createElement('style');
      style.textContent = C.style;
      root.append(style);
    }
    const t = document.createElement('template');
    // Constant markup from Rust, never data: [head, compact, body, compact end, end].
    t.innerHTML = C.parts.filter((_, i) => w.compact || i % 2 == 0).join('');
    root.append(t.content);
    // Layout follows the page or the mount (dir="rtl"); texts carry their language's.
    root.getElementById('r').dir = getComputedStyle(w.el).direction;
    return (w.root = root);
  }

  // Mounts `el` (`data-restock-sku`, `data-restock-variant-id`, or the custom
  // element's `sku`), or switches a mounted one to `sku` or platform variant `variant`.
  function attach(el, s, variant) {
    let id = ids.get(el), w = W[id];
    if (w) {
      if (s ? s == w.sku : !variant || variant == w.variant) return;
      w.sku = s || '';
      w.variant = s ? '' : variant;
      w.seen = w.wait = 0; // an answer on its way for the old one is dropped
      if (on.item) on.item(id);
      return read();
    }
    const a = (n) => el.getAttribute(n) || '';
    const g = el.closest('[data-restock-group]');
    w = {
      el,
      sku: s || a('data-restock-sku') || a('sku'),
      variant: variant || a('data-restock-variant-id'),
      platform: a('data-restock-platform'),
      group: g ? g.getAttribute('data-restock-group') : d.restockGroup || '',
      lang: a('lang') || a('data-lang') || lang,
      compact: a('data-restock-mode') == 'compact',
    };
    if (!build(w)) return;
    ids.set(el, (id = W.push(w) - 1));
    if (on.mount) on.mount(id);
    read();
  }

  // Reads availability for the widgets without an answer (new mounts, switches), or
  // for all of them skipping caches (`all`), once the current task is done.
  function read(all) {
    fresh = fresh || all;
    if (!queued) queued = Promise.resolve().then(flush);
  }

  function flush() {
    const all = fresh, out = [];
    queued = fresh = 0;
    W.forEach((w, id) => {
      if (!all && (w.wait || w.seen)) return;
      // Not even well-formed (a Worker would refuse the whole batch): nothing to show.
      if (w.sku ? !sku.test(w.sku) : !/^\d{1,64}$/.test(w.variant)) return take(id, 404);
      const group = bad.has(w.group) ? '' : w.group, key = [w.lang, w.platform, group] + '';
      const k = w.sku || w.variant, list = w.sku ? 's' : 'v';
      let b = out.find((b) => b.key == key && (b[list].includes(k) || b.s.length + b.v.length < C.batch));
      if (!b) out.push((b = { key, ids: [], s: [], v: [], lang: w.lang, platform: w.platform, group }));
      if (!b[list].includes(k)) b[list].push(k);
      b.ids.push(id);
    });
    out.forEach((b) => get(b, all));
  }

  function get(b, all) {
    const token = {}, q = [];
    b.ids.forEach((id) => (W[id].wait = token));
    const add = (k, v) => (v += '') && q.push(k + '=' + v);
    add('skus', b.s.map(encodeURIComponent));
    add('variants', b.v);
    add('platform', encodeURIComponent(b.platform));
    add('lang', encodeURIComponent(b.lang));
    add('group', encodeURIComponent(b.group));
    add('fresh', all ? 1 : '');
    fetch(api + '/v1/shops/' + encodeURIComponent(d.shop || '') + '/availability?' + q.join('&'))
      .then((r) => r.json().then((j) => [r.status, j], () => [r.status]))
      .catch(() => [0])
      .then(([status, j]) => {
        // A group token the Worker refused (expired, altered): once more without it,
        // as a shopper of no group; the page's later reads leave it out too.
        if (b.group && status == 400 && j && C.codes.includes(j.code)) {
          bad.add(b.group);
          b.group = '';
          return get(b, all);
        }
        let failed = 0;
        b.ids.forEach((id) => { if (W[id].wait === token) failed |= take(id, status, j, b.group); });
        // After a failure, try again later (5 s, then 3x longer, at most 5 min).
        if (!failed) delay = 5e3;
        else if (!timer) {
          timer = setTimeout(() => { timer = 0; read(); }, delay);
          delay = Math.min(delay * 3, 3e5);
        }
      })
      .catch(() => { /* never into the page */ });
  }

  // Widget `id`'s share of an answer; true when it failed and has nothing to show.
  function take(id, status, j, group) {
    const w = W[id];
    w.wait = 0;
    if (status == 200 && j && j.items) {
      const k = w.sku || (j.variants || {})[w.variant];
      w.seen = { item: j.items.find((i) => i.sku == k), shop: j.shop, lang: j.lang, dir: j.dir, group };
    } else if (status == 404) w.seen = {}; // no such shop, or nothing to ask: nothing to show
    else return !w.seen; // keep what it shows; a widget that shows nothing is asked again
    show(id);
    if (on.item) on.item(id);
  }

  // Paints widget `id`'s status block from its answer: the Worker's words as text.
  function show(id) {
    const w = W[id], s = w.seen || {}, it = s.item, say = (it && it.say) || {};
    const $ = (i) => w.root.getElementById(i);
    const line = (i, t) => { const e = $(i); e.textContent = t || ''; e.hidden = !t; };
    $('r').hidden = !it;
    if (!it) return;
    $('r').lang = s.lang;
    C.texts.forEach((i) => { const e = $(i); if (e) e.dir = s.dir; });
    $('s').className = 's ' + say.tone;
    line('l', say.status);
    line('t', say.eta);
    line('v', say.left);
    line('ah', say.also);
    // Alternatives: a link to each (a path resolves against the page's origin), its
    // name as text, and what the Worker says of it.
    $('au').replaceChildren(...(it.alternatives || []).map((a) => {
      let url;
      try { url = a.url && new URL(a.url, location.origin); } catch (_) { /* no link */ }
      const li = document.createElement('li'), link = document.createElement(url ? 'a' : 'span');
      link.textContent = a.name;
      link.dir = 'auto';
      if (url && /^https?:$/.test(url.protocol)) link.href = url;
      li.append(link, ' – ' + (a.say || ''));
      return li;
    }));
    $('al').hidden = !$('au').children.length;
    if (!marked) {
      marked = 1;
      performance.mark('restock:first-status');
    }
  }

  const mounts = '[data-restock-sku],[data-restock-variant-id],restock-availability';
  return { C, W, on, api, lang, shop: d.shop || '', mounts, attach, read, show, build };
}
