// The one file a shop embeds, `www/widget/widget.js`, at a stable URL with a short
// cache:
//   <script src="https://<restock>/widget/widget.js" data-shop="your-shop" async></script>
// It starts the wasm download and the page's language's texts at once, and adds the
// main script beside itself. All are named by their content hash at build time
// (esbuild replaces MAIN, WASM and PACKS), so they are cached for a year and a deploy
// never mixes versions. This file stays small (Shopify's theme-check allows 10,000
// bytes for an app block's script).
(() => {
  const script = document.currentScript;
  const R = (window.Restock = window.Restock || {});
  // A second copy of the tag (themes that render the embed twice) does nothing.
  if (!script || R._boot) return;
  const queue = [];
  // Calls made before the main script runs are replayed by it.
  ['setSku', 'refresh'].forEach((name) => { R[name] = (...args) => void queue.push([name, args]); });
  const get = (file) => {
    const p = fetch(new URL(file, script.src));
    p.catch(() => {}); // a failure is handled by the main script; never an unhandled rejection
    return p;
  };
  const lang = script.dataset.lang || document.documentElement.lang || navigator.language || '';
  // A guess at the language the widget will ask for (it decides; a wrong guess only
  // costs this download): the tag's first two letters, else English.
  const packs = PACKS;
  const tag = lang.slice(0, 2).toLowerCase();
  const guess = packs[tag] ? tag : 'en';
  R._boot = { script, lang, queue, packs, wasm: get(WASM), pack: [guess, get(packs[guess])] };
  const main = document.createElement('script');
  main.src = new URL(MAIN, script.src);
  main.async = true;
  if (script.nonce) main.nonce = script.nonce;
  document.head.append(main);
})();
