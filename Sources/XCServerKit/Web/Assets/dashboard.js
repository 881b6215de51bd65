'use strict';
// Dashboard: every account's load against its limit, the live viewings, the running sync and the last
// jobs. Kept live by GET /api/events (server-sent events: the slot core's and the sync jobs' changes),
// whose data are exactly the answers of GET /api/connections and GET /api/sync/jobs.
(() => {
  const { api, el, table, bytes, seconds, when, extras, attempt, say } = XC;
  const KINDS = ['categories', 'movies', 'series', 'episodes'];
  const users = new Map();   // user id → username

  function accountCards(accounts) {
    if (!accounts.length) return el('p', {}, 'No provider accounts yet. Add one on the Accounts page.');
    return el('ul', { class: 'cards' }, accounts.map((a) => {
      const full = a.load >= a.max_connections;
      return el('li', { class: 'card', 'data-account': a.name },
        el('h3', {}, a.name, a.enabled ? '' : ' (disabled)'),
        el('p', {},
          el('meter', { min: 0, max: a.max_connections, value: a.load, 'aria-label': `${a.name} load` }),
          ` ${a.load} / ${a.max_connections}${full ? ' (full)' : ''}`),
        el('p', { class: 'muted' }, `priority ${a.priority}`,
          a.backoff_seconds !== null && a.backoff_seconds !== undefined ? ` · backing off ${seconds(a.backoff_seconds)}` : ''),
        extras(a, ['id', 'name', 'enabled', 'priority', 'load', 'max_connections', 'backoff_seconds']));
    }));
  }

  function userName(id) {
    return users.get(id) || `user ${id}`;
  }

  let last = { connections: null, jobs: null, receivedAt: 0 };

  function viewingRows(slots) {
    const elapsed = (Date.now() - last.receivedAt) / 1000;
    return slots.map((s) => el('tr', { 'data-slot': s.id },
      el('td', {}, userName(s.viewer.user_id)),
      el('td', {}, s.viewer.client_ip),
      el('td', {}, s.title ? s.title.name : `${s.viewer.kind} ${s.viewer.content_id}`),
      el('td', {}, s.account_name),
      el('td', { class: 'num' }, bytes(s.bytes_sent)),
      el('td', { class: 'num' }, seconds(s.age_seconds + elapsed)),
      el('td', {}, s.lingering ? 'lingering' : 'playing')));
  }

  function refreshViewings() {
    const box = document.getElementById('viewings');
    if (!box || !last.connections) return;
    const slots = last.connections.slots;
    box.replaceChildren(slots.length
      ? table(null, ['Login', 'Device', 'Title', 'Account', 'Sent', 'Age', 'State'], viewingRows(slots), { id: 'viewings-table' })
      : el('p', { id: 'no-viewings' }, 'Nobody is watching.'));
  }

  function progressCell(kind) {
    if (!kind || (!kind.total && !kind.done)) return '—';
    return el('span', {}, el('progress', { max: Math.max(kind.total, 1), value: kind.done, 'aria-label': 'progress' }), ` ${kind.done}/${kind.total}`);
  }

  function runningJob(job) {
    const rows = job.accounts.map((a) => el('tr', { 'data-job-account': a.name },
      el('td', {}, a.name), el('td', { class: 'phase' }, a.phase), KINDS.map((k) => el('td', {}, progressCell(a.progress[k])))));
    return el('section', { class: 'job', 'data-job': job.id, 'data-phase': job.phase },
      el('h3', {}, `Sync job ${job.id}: `, el('span', { class: 'phase' }, job.phase), job.account ? ` (${job.account})` : ''),
      table(null, ['Account', 'Step', ...KINDS], rows),
      el('button', { type: 'button', onclick: () => attempt(() => api('POST', `/api/sync/jobs/${job.id}/cancel`), 'Cancel requested.') }, 'Cancel'));
  }

  function jobRows(jobs) {
    return jobs.slice(0, 10).map((j) => el('tr', { 'data-job': j.id, 'data-phase': j.phase },
      el('td', { class: 'num' }, j.id), el('td', {}, j.trigger), el('td', { class: 'phase' }, j.phase),
      el('td', {}, when(j.started_at)), el('td', { class: 'num' }, j.seconds === null ? '—' : `${j.seconds.toFixed(1)} s`),
      el('td', { class: 'num' }, `${j.counters.added} / ${j.counters.updated} / ${j.counters.unchanged} / ${j.counters.stale} / ${j.counters.skipped}`),
      el('td', {}, j.errors.length ? j.errors.map((e) => `${e.account || 'job'}: ${e.message}`).join('; ') : '—')));
  }

  function refreshJobs() {
    const running = document.getElementById('running');
    const recent = document.getElementById('jobs');
    if (!running || !last.jobs) return;
    const active = last.jobs.jobs.filter((j) => !['done', 'failed', 'cancelled'].includes(j.phase));
    running.replaceChildren(...(active.length ? active.map(runningJob) : [el('p', {}, 'No sync is running.')]));
    recent.replaceChildren(last.jobs.jobs.length
      ? table(null, ['Job', 'Trigger', 'Result', 'Started', 'Took', 'Added / updated / unchanged / stale / skipped', 'Errors'], jobRows(last.jobs.jobs), { id: 'jobs-table' })
      : el('p', {}, 'No sync jobs since the server started.'));
  }

  XC.register('dashboard', async (main) => {
    for (const u of (await api('GET', '/api/users')).users) users.set(u.id, u.username);
    main.replaceChildren(
      el('h1', {}, 'Dashboard'),
      el('section', {}, el('h2', {}, 'Accounts'), el('div', { id: 'accounts' }, el('p', {}, 'Connecting…'))),
      el('section', {}, el('h2', {}, 'Watching now'), el('div', { id: 'viewings' })),
      el('section', {}, el('h2', {}, 'Sync'),
        el('button', { type: 'button', id: 'sync-all', onclick: () => attempt(() => api('POST', '/api/sync', {}), 'Sync started.') }, 'Sync every account now'),
        el('div', { id: 'running' })),
      el('section', {}, el('h2', {}, 'Last sync jobs'), el('div', { id: 'jobs' })));
    const events = new EventSource('/api/events');
    events.addEventListener('connections', (event) => {
      last.connections = JSON.parse(event.data);
      last.receivedAt = Date.now();
      const unknown = last.connections.slots.some((s) => !users.has(s.viewer.user_id));
      if (unknown) api('GET', '/api/users').then((a) => { for (const u of a.users) users.set(u.id, u.username); refreshViewings(); }).catch(() => {});
      document.getElementById('accounts').replaceChildren(accountCards(last.connections.accounts));
      refreshViewings();
      main.dataset.connectionsUpdates = String(Number(main.dataset.connectionsUpdates || 0) + 1);
    });
    events.addEventListener('jobs', (event) => {
      last.jobs = JSON.parse(event.data);
      refreshJobs();
      main.dataset.jobsUpdates = String(Number(main.dataset.jobsUpdates || 0) + 1);
    });
    events.addEventListener('open', () => say('Live.', false));
    // Ages tick on between pushes without asking the server.
    setInterval(refreshViewings, 1000);
  });
})();
