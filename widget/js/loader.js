// The one file a shop embeds, `www/widget/widget.js`, at a stable URL with a short
// cache:
//   <script src="https://<restock>/widget/widget.js" data-shop="your-shop" async></script>
// It paints the first status by itself (`page.js`: the mounts, their shadow roots, the
// batched availability read, the Worker's words as text) and meanwhile starts the wasm
// download and the page's language's texts, and adds the main script beside itself
// (the platform adapters and the forms, which check fields with the wasm's domain
// rules). Those are named
// by their content hash at build time (esbuild replaces MAIN, WASM and PACKS; RUST is
// what Rust decides for the loader), so they are cached for a year and a deploy never
// mixes versions. This file stays under Shopify theme-check's 10,000 bytes.
import { loader } from './page.js';

(() => {
  const script = document.currentScript;
  const R = (window.Restock = window.Restock || {});
  // A second copy of the tag (themes that render the embed twice) does nothing.
  if (!script || R._boot) return;
  const B = (R._boot = loader(RUST, script));
  // Calls made before the main script runs are replayed by it.
  const queue = (B.queue = []);
  ['setSku', 'refresh'].forEach((name) => { R[name] = (...args) => void queue.push([name, args]); });
  const get = (file) => {
    const p = fetch(new URL(file, script.src));
    p.catch(() => {}); // a failure is handled by the main script; never an unhandled rejection
    return p;
  };
  // A guess at the language the answer will be in (the Worker decides; a wrong guess
  // only costs this download): the tag's first two letters, else English.
  const packs = PACKS;
  const tag = B.lang.slice(0, 2).toLowerCase();
  const guess = packs[tag] ? tag : 'en';
  Object.assign(B, { script, packs, wasm: get(WASM), pack: [guess, get(packs[guess])] });
  const main = document.createElement('script');
  main.src = new URL(MAIN, script.src);
  main.async = true;
  if (script.nonce) main.nonce = script.nonce;
  document.head.append(main);
  const mounts = () => document.querySelectorAll(B.mounts).forEach((el) => B.attach(el));
  if (document.readyState == 'loading') document.addEventListener('DOMContentLoaded', mounts);
  else mounts();
})();
