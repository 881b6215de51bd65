'use strict';
// Catalog search across every kind the API lists, with each title's relations (one per account copy),
// any other fields the API gives (variants, ...), and which account would serve a new viewing now.
(() => {
  const { api, el, table, input, field, attempt, extras, when } = XC;
  // One entry per searchable kind of GET /api/...: list path, detail key, stream lookup path.
  const KINDS = [
    { label: 'Films', list: '/api/vod/movies', one: 'movie', stream: (id) => `/api/vod/movies/${id}/stream` },
    { label: 'Series', list: '/api/vod/series', one: 'series', stream: null },
  ];
  const SUMMARY = ['id', 'name', 'year', 'tmdb', 'imdb', 'category_ids', 'icon', 'served', 'account', 'relations', 'container_extension', 'episodes', 'seasons'];

  function relationsTable(relations) {
    return table('Copies (in admission order)', ['Account', 'Provider id', 'Name', 'Last seen', 'State'], relations.map((r) =>
      el('tr', {}, el('td', {}, r.account.name), el('td', { class: 'num' }, r.stream_id ?? r.series_id ?? '—'), el('td', {}, r.name),
        el('td', {}, when(r.last_seen)), el('td', {}, r.stale ? 'stale' : (r.served ? 'served' : 'not served')))));
  }

  async function details(kind, title, box) {
    const answer = await api('GET', `${kind.list}/${title.id}`);
    const detail = answer[kind.one];
    const parts = [extras(detail, SUMMARY), relationsTable(detail.relations)];
    for (const [key, value] of Object.entries(detail)) {
      if (!SUMMARY.includes(key) && value && typeof value === 'object') {
        parts.push(el('details', {}, el('summary', {}, key.replace(/_/g, ' ')), el('pre', {}, JSON.stringify(value, null, 2))));
      }
    }
    if (!detail.served) {
      parts.push(el('p', { class: 'serving' }, 'Not served: every copy is stale, or on a disabled account or category.'));
    } else if (kind.stream) {
      const lookup = await api('GET', kind.stream(title.id));
      parts.push(el('p', { class: 'serving' }, lookup.account ? `A new viewing would be served by ${lookup.account.name} now.`
        : 'No account has room now: a new viewing would be refused (503).'),
        table('Candidates', ['Account', 'Priority', 'Load', 'Room'], lookup.candidates.map((c) =>
          el('tr', {}, el('td', {}, c.account_name), el('td', { class: 'num' }, c.priority),
            el('td', { class: 'num' }, `${c.load}/${c.max_connections}`), el('td', {}, c.has_room ? 'yes' : 'no')))));
    }
    box.replaceChildren(...parts.filter(Boolean));
    box.closest('li').classList.add('wide');
  }

  function result(kind, title) {
    const box = el('div', { class: 'detail' });
    return el('li', { class: 'card', 'data-title': title.id },
      el('h3', {}, title.name, title.year ? ` (${title.year})` : ''),
      el('p', { class: 'muted' }, `${kind.label.toLowerCase()} ${title.id} · from ${title.account ? title.account.name : '—'} · ${title.relations} copies${title.served ? '' : ' · not served'}`),
      el('button', { type: 'button', onclick: () => attempt(() => details(kind, title, box)) }, `Details of ${title.name}`),
      box);
  }

  XC.register('catalog', async (main) => {
    const results = el('div', { id: 'results', 'aria-live': 'polite' });
    const query = input('q', '', { type: 'search', placeholder: 'title' });
    const form = el('form', { id: 'search', class: 'inline' }, field('Search titles', query), el('button', { type: 'submit' }, 'Search'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      attempt(async () => {
        const q = encodeURIComponent(query.value.trim());
        const pages = await Promise.all(KINDS.map((k) => api('GET', `${k.list}?q=${q}&per_page=20&all=true`)));
        results.replaceChildren(...KINDS.map((kind, i) => el('section', {},
          el('h2', {}, `${kind.label} (${pages[i].total})`),
          pages[i].items.length ? el('ul', { class: 'cards' }, pages[i].items.map((t) => result(kind, t))) : el('p', {}, 'None.'))));
      });
    });
    main.replaceChildren(el('h1', {}, 'Catalog'), form, results);
  });
})();
