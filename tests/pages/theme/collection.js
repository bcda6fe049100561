// "Load more" for the collection grid, the way infinite-load collection pages on Shopify
// themes do it (Dawn itself paginates: sections/main-collection-product-grid.liquid
// renders ul#product-grid > li.grid__item > card-product.liquid): ask the Section
// Rendering API for the next page, take its li.grid__item tiles and append them to
// ul#product-grid. Here the next page is the <template id="product-grid-page-N"> in
// the page and a short timer stands in for the request. The new tiles carry their own
// compact Restock mounts (new SKUs), added to the document only when appended.
(() => {
  'use strict';

  const PAGE_FETCH_MS = 60;

  const grid = document.getElementById('product-grid');
  const button = document.querySelector('.load-more__button');
  const status = document.getElementById('ProductGridStatus');
  if (!grid || !button) return;

  const total = 8;

  button.addEventListener('click', () => {
    const next = Number(grid.dataset.nextPage || 0);
    const template = document.getElementById(`product-grid-page-${next}`);
    if (!template) return;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    setTimeout(() => {
      const page = template.content.cloneNode(true);
      const items = Array.from(page.querySelectorAll('li.grid__item'));
      grid.append(...items);
      const shown = grid.querySelectorAll('li.grid__item').length;
      const pages = Number(grid.dataset.pages || next);
      button.removeAttribute('aria-busy');
      if (next >= pages) {
        button.hidden = true;
        delete grid.dataset.nextPage;
      } else {
        grid.dataset.nextPage = String(next + 1);
        button.disabled = false;
      }
      if (status) status.textContent = `Showing ${shown} of ${total} products`;
      // Keyboard users continue at the first new product.
      items[0]?.querySelector('a')?.focus();
    }, PAGE_FETCH_MS);
  });
})();
