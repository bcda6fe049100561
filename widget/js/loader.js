// The one file a shop embeds, `www/widget/widget.js`, at a stable URL with a short
// cache:
//   <script src="https://<restock>/widget/widget.js" data-shop="your-shop" async></script>
// It starts the wasm download at once and adds the main script beside itself. Both
// are named by their content hash at build time (esbuild replaces MAIN and WASM), so
// they are cached for a year and a deploy never mixes versions. This file stays
// small (Shopify's theme-check allows 10,000 bytes for an app block's script).
(() => {
  const script = document.currentScript;
  const R = (window.Restock = window.Restock || {});
  // A second copy of the tag (themes that render the embed twice) does nothing.
  if (!script || R._boot) return;
  const queue = [];
  // Calls made before the main script runs are replayed by it.
  ['setSku', 'refresh'].forEach((name) => { R[name] = (...args) => void queue.push([name, args]); });
  const at = (file) => new URL(file, script.src).href;
  const wasm = fetch(at(WASM));
  wasm.catch(() => {}); // a failure is handled by the main script; never an unhandled rejection
  R._boot = { script, wasm, queue };
  const main = document.createElement('script');
  main.src = at(MAIN);
  main.async = true;
  if (script.nonce) main.nonce = script.nonce;
  document.head.append(main);
})();
