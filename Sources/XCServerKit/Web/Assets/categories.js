'use strict';
// Categories per kind, with a switch per account carrying each: a switched-off category's titles from
// that account stop being served at once and are skipped by the next sync.
(() => {
  const { api, el, table, checkbox, attempt, extras } = XC;

  function row(category) {
    return el('tr', { 'data-category': category.id },
      el('th', { scope: 'row' }, category.name, extras(category, ['id', 'kind', 'name', 'titles', 'accounts'])),
      el('td', { class: 'num' }, category.titles),
      el('td', {}, category.accounts.map((a) => {
        const box = checkbox('enabled', a.enabled, {
          'data-account': a.account_name,
          'aria-label': `${category.name} from ${a.account_name}`,
        });
        box.addEventListener('change', async () => {
          const answer = await attempt(() => api('PATCH', `/api/categories/${category.id}/accounts/${a.account_id}`, { enabled: box.checked }),
            `${category.name} ${box.checked ? 'shown' : 'hidden'} from ${a.account_name}.`);
          if (!answer) { box.checked = !box.checked; return; }
          box.closest('tr').querySelector('td.num').textContent = answer.category.titles;
        });
        return el('span', { class: 'switch' }, box, el('label', { for: box.id = `c${category.id}a${a.account_id}` }, ` ${a.account_name} (${a.titles})`));
      })));
  }

  XC.register('categories', async (main) => {
    const { categories } = await api('GET', '/api/categories');
    const kinds = [...new Set(categories.map((c) => c.kind))];
    const sections = kinds.map((kind) => el('section', { 'data-kind': kind }, el('h2', {}, kind),
      table(null, ['Category', 'Titles served', 'Accounts (titles each holds)'], categories.filter((c) => c.kind === kind).map(row))));
    main.replaceChildren(el('h1', {}, 'Categories'),
      ...(sections.length ? sections : [el('p', {}, 'No categories yet: sync an account first.')]));
  });
})();
