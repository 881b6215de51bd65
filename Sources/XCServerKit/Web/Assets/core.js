'use strict';
// The page's plumbing: calls to the admin API with the session's CSRF token, a tiny DOM builder,
// formatting, and which view a path shows. Every view renders what the API answers.
const XC = (() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const views = {};

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
    const init = { method, headers, credentials: 'same-origin' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (response.status === 401) {
      location.assign('/admin/signin');
      throw new Error('signed out');
    }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error(data && data.error ? data.error.message : `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // el('p', {class: 'x', onclick: f}, 'text', child...): attributes, event handlers, children.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else if (key === 'class') node.className = value;
      else if (key in node && typeof value !== 'string') node[key] = value;
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  let fieldCount = 0;
  // A labelled control: <label for=id>text</label> then the control.
  function field(text, control) {
    control.id = control.id || `f${++fieldCount}`;
    const type = control.getAttribute('type');
    const inline = type === 'checkbox';
    return el('div', { class: inline ? 'field check' : 'field' },
      inline ? [control, el('label', { for: control.id }, text)] : [el('label', { for: control.id }, text), control]);
  }

  function input(name, value, attrs) {
    return el('input', Object.assign({ name, value: value === null || value === undefined ? '' : String(value) }, attrs || {}));
  }

  function checkbox(name, checked, attrs) {
    return el('input', Object.assign({ type: 'checkbox', name, checked: !!checked }, attrs || {}));
  }

  // A table; on a narrow screen each row becomes a block of "label: value" lines (the labels come
  // from the head), so the page never scrolls sideways.
  function table(caption, head, rows, attrs) {
    for (const row of rows) {
      [...row.children].forEach((cell, i) => { if (head[i]) cell.dataset.label = head[i]; });
    }
    return el('div', { class: 'scroll' },
      el('table', attrs || {},
        caption ? el('caption', {}, caption) : null,
        el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, rows)));
  }

  function bytes(n) {
    if (n < 1024) return `${n} B`;
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let value = n / 1024, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return `${value.toFixed(1)} ${units[unit]}`;
  }

  function seconds(s) {
    s = Math.max(0, Math.round(s));
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
    return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  }

  // Unix seconds or an ISO date, as local date and time.
  function when(value) {
    if (value === null || value === undefined) return '—';
    const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
    return date.toLocaleString();
  }

  // Fields of `object` the page has no column for (ones added to the API later), as "key: value".
  function extras(object, known) {
    const parts = Object.entries(object)
      .filter(([key, value]) => !known.includes(key) && value !== null && typeof value !== 'object')
      .map(([key, value]) => `${key.replace(/_/g, ' ')}: ${value}`);
    return parts.length ? el('span', { class: 'extra' }, parts.join(' · ')) : null;
  }

  function say(text, isError) {
    const status = document.getElementById('status');
    status.textContent = text;
    status.className = isError ? 'error' : 'ok';
  }

  // Runs an action from a button or form, showing its error (the API's message) instead of throwing.
  async function attempt(action, done) {
    try {
      const result = await action();
      if (done) say(done, false);
      return result;
    } catch (error) {
      say(error.message, true);
      return undefined;
    }
  }

  function register(name, render) { views[name] = render; }

  function viewName() {
    const page = location.pathname.replace(/^\/admin\/?/, '').replace(/\/$/, '');
    return page === '' ? 'dashboard' : page;
  }

  async function start() {
    const name = viewName();
    for (const link of document.querySelectorAll('nav a')) {
      if (link.dataset.view === name) link.setAttribute('aria-current', 'page');
    }
    const main = document.getElementById('main');
    const render = views[name];
    if (!render) { main.replaceChildren(el('p', {}, 'No such page.')); return; }
    try {
      await render(main);
      main.dataset.ready = name;
    } catch (error) {
      main.replaceChildren(el('p', { class: 'error', role: 'alert' }, error.message));
    }
  }

  document.addEventListener('DOMContentLoaded', start);
  return { api, el, field, input, checkbox, table, bytes, seconds, when, extras, say, attempt, register };
})();
