'use strict';
// Logins: what TiviMate and the other apps are given. For each: the server URL, username and password
// to type in (the password only right after it was set here: the API never returns it), limit, expiry,
// enabled, and the categories it may see (a checklist per kind, with title counts; none ticked: all).
(() => {
  const { api, el, field, input, checkbox, when, extras, attempt, say } = XC;
  const typed = new Map(); // username → password set on this page (memory only, gone on reload)

  function dateInput(unix) {
    if (unix === null || unix === undefined) return '';
    return new Date(unix * 1000).toISOString().slice(0, 10);
  }

  function categoryChecklist(categories, allowed) {
    const kinds = [...new Set(categories.map((c) => c.kind))];
    return el('fieldset', { class: 'categories' }, el('legend', {}, 'Categories it may see (none ticked: every category)'),
      kinds.map((kind) => el('div', { class: 'kind' }, el('h4', {}, kind),
        categories.filter((c) => c.kind === kind).map((c) =>
          field(`${c.name} (${c.titles})`, checkbox('category', allowed.includes(c.id), { value: String(c.id) }))))));
  }

  function body(form, creating) {
    const data = new FormData(form);
    const out = {};
    if (creating) out.username = data.get('username').trim();
    if (data.get('password')) out.password = data.get('password');
    out.max_connections = Number(data.get('max_connections'));
    out.enabled = form.elements.enabled.checked;
    const expiry = data.get('expires');
    out.expires_at = expiry ? Math.floor(new Date(`${expiry}T23:59:59`).getTime() / 1000) : null;
    out.allowed_categories = data.getAll('category').map(Number);
    return out;
  }

  function userForm(u, categories, reload) {
    const creating = !u;
    const form = el('form', { class: 'grid', id: creating ? 'add-login' : undefined, 'data-login': u ? u.username : undefined },
      creating ? field('Username', input('username', '', { required: true, autocomplete: 'off' })) : null,
      field(creating ? 'Password' : 'New password (blank: keep)', input('password', '', { type: 'text', required: creating, autocomplete: 'off' })),
      field('Connections', input('max_connections', u ? u.max_connections : 1, { type: 'number', min: 1 })),
      field('Expires (blank: never)', input('expires', u ? dateInput(u.expires_at) : '', { type: 'date' })),
      field('Enabled', checkbox('enabled', u ? u.enabled : true)),
      categoryChecklist(categories, u ? u.allowed_categories : []),
      el('div', { class: 'actions' },
        el('button', { type: 'submit' }, creating ? 'Add login' : 'Save'),
        creating ? null : el('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!confirm(`Delete login '${u.username}'? Apps using it stop working at once.`)) return;
          if (await attempt(() => api('DELETE', `/api/users/${u.id}`), `Login '${u.username}' deleted.`) !== undefined) reload();
        } }, 'Delete')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const sent = body(form, creating);
      const answer = await attempt(() => creating ? api('POST', '/api/users', sent) : api('PATCH', `/api/users/${u.id}`, sent),
        creating ? 'Login added.' : `Login '${u.username}' saved.`);
      if (!answer) return;
      if (sent.password) typed.set(answer.user.username, sent.password);
      reload();
    });
    return form;
  }

  function loginCard(u, categories, reload) {
    const password = typed.get(u.username);
    return el('li', { class: 'card', 'data-login': u.username },
      el('h3', {}, u.username, u.active ? '' : ' (not active)'),
      el('dl', { class: 'tivimate' },
        el('dt', {}, 'Server URL'), el('dd', {}, el('code', {}, location.origin)),
        el('dt', {}, 'Username'), el('dd', {}, el('code', {}, u.username)),
        el('dt', {}, 'Password'), el('dd', {}, password ? el('code', {}, password) : 'the one you set (set a new one here to see it)')),
      el('p', { class: 'muted' }, `watching ${u.load} of ${u.max_connections} · expires ${u.expires_at ? when(u.expires_at) : 'never'}` +
        ` · ${u.allowed_categories.length ? `${u.allowed_categories.length} categories` : 'every category'}`),
      extras(u, ['id', 'username', 'password', 'max_connections', 'enabled', 'expires_at', 'created_at', 'active', 'load', 'allowed_categories']),
      el('details', {}, el('summary', {}, `Edit ${u.username}`), userForm(u, categories, reload)));
  }

  XC.register('logins', async function render(main) {
    const reload = () => render(main).catch((error) => say(error.message, true));
    const [{ users }, { categories }] = await Promise.all([api('GET', '/api/users'), api('GET', '/api/categories')]);
    main.replaceChildren(
      el('h1', {}, 'Logins'),
      el('details', {}, el('summary', {}, 'Add a login'), userForm(null, categories, reload)),
      el('h2', {}, 'Logins'),
      users.length ? el('ul', { class: 'cards', id: 'login-list' }, users.map((u) => loginCard(u, categories, reload)))
        : el('p', {}, 'No logins yet: add one, then type the URL, username and password into your app.'));
    main.dataset.ready = 'logins';
  });
})();
