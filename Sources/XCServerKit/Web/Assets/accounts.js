'use strict';
// Accounts: the provider accounts with their catalog counts; add one (the provider's answer to a test
// login is shown before saving), edit, delete (saying what goes with it). Passwords are never shown:
// the API answers "****" and the page leaves the field empty unless a new one is typed.
(() => {
  const { api, el, field, input, checkbox, table, when, extras, attempt, say } = XC;
  const EDITABLE = ['priority', 'max_connections', 'enabled', 'user_agent', 'group'];

  function testAnswer(answer) {
    return el('dl', { class: 'test', 'data-status': answer.status || '' },
      el('dt', {}, 'Status'), el('dd', { class: 'test-status' }, answer.status || 'not said'),
      el('dt', {}, 'Expires'), el('dd', {}, answer.exp_date ? when(answer.exp_date) : 'never / not said'),
      el('dt', {}, 'Provider connections'), el('dd', {}, `${answer.active_cons ?? '?'} in use of ${answer.max_connections ?? '?'}`));
  }

  function body(form, creating) {
    const data = new FormData(form);
    const out = {};
    for (const name of ['name', 'url', 'username']) if (data.has(name)) out[name] = data.get(name).trim();
    if (data.get('password')) out.password = data.get('password');
    for (const name of ['priority', 'max_connections']) if (data.get(name) !== '' && data.has(name)) out[name] = Number(data.get(name));
    out.enabled = form.elements.enabled.checked;
    // Blank clears (PATCH sends null); a new account leaves blank fields out.
    for (const name of ['user_agent', 'group']) {
      const text = (data.get(name) || '').trim();
      if (text || !creating) out[name] = text || null;
    }
    return out;
  }

  function addForm(reload) {
    const result = el('div', { id: 'test-result', 'aria-live': 'polite' });
    const form = el('form', { id: 'add-account', class: 'grid' },
      field('Name', input('name', '', { required: true })),
      field('Provider URL', input('url', '', { type: 'url', required: true, placeholder: 'http://provider.example:8080' })),
      field('Username', input('username', '', { required: true, autocomplete: 'off' })),
      field('Password', input('password', '', { type: 'password', required: true, autocomplete: 'new-password' })),
      field('Connections', input('max_connections', 1, { type: 'number', min: 1 })),
      field('Priority', input('priority', 0, { type: 'number' })),
      field('User-Agent (optional)', input('user_agent', '')),
      field('Capacity group (optional: accounts that are one provider login)', input('group', '')),
      field('Enabled', checkbox('enabled', true)),
      el('div', { class: 'actions' },
        el('button', { type: 'button', id: 'test-account', onclick: async () => {
          if (!form.reportValidity()) return;
          result.replaceChildren(el('p', {}, 'Asking the provider…'));
          const answer = await attempt(() => api('POST', '/api/accounts/test', body(form, true)));
          result.replaceChildren(answer ? testAnswer(answer) : el('p', { class: 'error' }, 'The provider test failed; see the message below.'));
        } }, 'Test login'),
        el('button', { type: 'submit', id: 'save-account' }, 'Save')),
      result);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const added = await attempt(() => api('POST', '/api/accounts', body(form, true)), 'Account added.');
      if (added) reload();
    });
    return el('details', { open: true }, el('summary', {}, 'Add an account'), form);
  }

  function editForm(a, reload) {
    const form = el('form', { class: 'grid edit', 'data-account': a.name },
      field('Connections', input('max_connections', a.max_connections, { type: 'number', min: 1 })),
      field('Priority', input('priority', a.priority, { type: 'number' })),
      field('User-Agent', input('user_agent', a.user_agent)),
      field('Capacity group (blank: none)', input('group', a.group)),
      field('New password (blank: keep)', input('password', '', { type: 'password', autocomplete: 'new-password' })),
      field('Enabled', checkbox('enabled', a.enabled)),
      el('div', { class: 'actions' },
        el('button', { type: 'submit' }, 'Save'),
        el('button', { type: 'button', onclick: () => attempt(() => api('POST', `/api/accounts/${a.id}/test`)
          .then((answer) => form.append(testAnswer(answer)))) }, 'Test login'),
        el('button', { type: 'button', class: 'danger', onclick: async () => {
          const c = a.catalog;
          const what = `Delete account '${a.name}'? Its ${c.movies} films, ${c.series} series and ${c.episodes} episodes ` +
            'go with it: titles only it holds disappear from every login, the others are served from the remaining accounts.';
          if (!confirm(what)) return;
          if (await attempt(() => api('DELETE', `/api/accounts/${a.id}`), `Account '${a.name}' deleted.`) !== undefined) reload();
        } }, 'Delete')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const changes = body(form, false);
      const saved = await attempt(() => api('PATCH', `/api/accounts/${a.id}`, changes), `Account '${a.name}' saved.`);
      if (saved) reload();
    });
    return form;
  }

  function accountRow(a, reload) {
    return el('li', { class: 'card', 'data-account': a.name },
      el('h3', {}, a.name, a.enabled ? '' : ' (disabled)'),
      el('p', { class: 'muted' }, `${a.url} · user ${a.username} · load ${a.load}/${a.max_connections} · priority ${a.priority}${a.group ? ` · group ${a.group}` : ''}`),
      el('p', { class: 'muted' }, `${a.catalog.movies} films, ${a.catalog.series} series, ${a.catalog.episodes} episodes, ${a.catalog.stale} stale`),
      extras(a, ['id', 'name', 'url', 'username', 'password', 'created_at', 'load', 'catalog', ...EDITABLE]),
      el('details', {}, el('summary', {}, `Edit ${a.name}`), editForm(a, reload)));
  }

  XC.register('accounts', async function render(main) {
    const reload = () => render(main).catch((error) => say(error.message, true));
    const { accounts } = await api('GET', '/api/accounts');
    main.replaceChildren(
      el('h1', {}, 'Accounts'),
      addForm(reload),
      el('h2', {}, 'Provider accounts'),
      accounts.length ? el('ul', { class: 'cards', id: 'account-list' }, accounts.map((a) => accountRow(a, reload)))
        : el('p', {}, 'No accounts yet.'));
    main.dataset.ready = 'accounts';
  });
})();
