// Restock widget loader. Bundled by esbuild (with the wasm-bindgen glue) into one
// IIFE, `www/widget/widget.js`, so a shop needs exactly one tag:
//   <script src="https://<restock>/widget/widget.js" data-shop="your-shop" async></script>
// It defines no globals but `Restock`, never throws into the host page, and loads
// `widget.wasm` from next to itself.
import init, { start } from './glue.js';

const script = document.currentScript;

async function boot() {
  const src = (script && script.src) || location.href;
  const data = (script && script.dataset) || {};
  const api = (data.api || new URL(src).origin).replace(/\/+$/, '');
  const lang = data.lang || document.documentElement.lang || navigator.language || '';
  await init({ module_or_path: new URL('widget.wasm', src) });
  start(data.shop || '', api, lang);
}

boot().catch(() => {
  // The shop's own page (and add-to-cart) must keep working whatever happens here.
});
