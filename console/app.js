// replenish console — the entry point: takes a token out of the hash, asks who the token is
// (GET /v1/token), draws the header, and routes "#/page/arg?params" to the page modules.
// Test hooks: body[data-ready=<page>] once a page has loaded (or failed), body[data-error]
// with the message on failure; both are removed before a page starts loading.

import { t, getLang, setLang } from './i18n.js';
import { api, token, parseHash, replaceHash, adoptHashToken, forgetCategories, ApiError } from './api.js';
import { h, badge, searchForm, fill } from './dom.js';
import * as overview from './page_overview.js';
import * as schedule from './page_schedule.js';
import * as customer from './page_customer.js';
import * as model from './page_model.js';
import * as dlq from './page_dlq.js';

adoptHashToken(); // before anything else: the token must not stay in the address bar

const PAGES = { overview, schedule, customer, model, dlq };
const NAV = ['overview', 'schedule', 'customer', 'model', 'dlq'];

const body = document.body;
const top = document.getElementById('top');
const banner = document.getElementById('banner');
const main = document.getElementById('app');

let me = null;          // {name, scopes} of the token
let seq = 0;            // the current load; answers for an older one are dropped
let cleanups = [];      // charts to destroy, observers to disconnect when the page goes
let pendingFlash = '';  // a success message to show after the reload an action causes
let loginNote = ['', '']; // [data-error, text shown] of the login form, kept over a language switch

function resetReady() {
  delete body.dataset.ready;
  delete body.dataset.error;
}

function setReady(page, error) {
  body.dataset.ready = page;
  if (error) body.dataset.error = error;
}

function hideBanner() {
  banner.hidden = true;
  fill(banner);
}

function showBanner(message, kind = 'error') {
  banner.className = `banner ${kind}`;
  fill(banner,
    h('span', null, message),
    h('button', { type: 'button', class: 'banner-close', 'aria-label': '×', onclick: hideBanner }, '×'));
  banner.hidden = false;
}

function runCleanups() {
  for (const fn of cleanups.splice(0)) {
    try { fn(); } catch (e) { /* already gone */ }
  }
}

/** A `lang=` in the hash wins over the stored choice (and is stored). */
function applyLangParam(params) {
  const l = params.get('lang');
  if ((l === 'zh' || l === 'en') && l !== getLang()) setLang(l);
}

function switchLang() {
  setLang(getLang() === 'zh' ? 'en' : 'zh');
  const { path, params } = parseHash();
  if (params.has('lang')) {
    params.delete('lang');
    replaceHash(path, params);
  }
  renderChrome();
  if (me) route();
  else showLogin(...loginNote);
}

function logout() {
  token.clear();
  me = null;
  forgetCategories();
  showLogin('');
}

function renderChrome(active) {
  document.title = t('app.title');
  const admin = me && me.scopes.includes('admin');
  const who = me ? h('span', { class: 'who', title: me.scopes.join(', ') },
    h('span', { class: 'who-name' }, me.name || '?'), ' ',
    badge(admin ? t('role.admin') : me.scopes.includes('read') ? t('role.read') : me.scopes.join(', '),
      admin ? 'role-admin' : 'role-read')) : null;
  const tools = h('div', { class: 'tools' }, who,
    h('button', { type: 'button', class: 'btn-ghost', 'data-action': 'lang', title: t('lang.title'), onclick: switchLang }, t('lang.button')),
    me ? h('button', { type: 'button', class: 'btn-ghost', 'data-action': 'logout', onclick: logout }, t('logout')) : null);
  const nav = me ? h('nav', { class: 'nav' },
    NAV.map((n) => h('a', { href: `#/${n}`, class: n === active ? 'active' : null, 'aria-current': n === active ? 'page' : null }, t(`nav.${n}`)))) : null;
  fill(top,
    h('a', { class: 'brand', href: '#/overview' }, t('app.title')),
    nav, me ? searchForm('', 'nav-search') : null, tools);
}

/** The login form; `reason` (why the last token failed) goes in data-error, `shown` on the page. */
function showLogin(reason, shown = reason) {
  loginNote = [reason, shown];
  seq += 1;
  runCleanups();
  resetReady();
  hideBanner();
  renderChrome();
  const input = h('input', { type: 'password', id: 'token-input', name: 'token', autocomplete: 'off', required: true });
  const submit = (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    token.set(value);
    start();
  };
  fill(main, h('div', { class: 'login card' },
    h('h1', null, t('login.title')),
    shown ? h('p', { class: 'login-error', role: 'alert' }, shown) : null,
    h('form', { onsubmit: submit },
      h('label', { for: 'token-input' }, t('login.token')),
      h('div', { class: 'login-row' }, input, h('button', { type: 'submit', class: 'btn-primary' }, t('login.submit')))),
    h('p', { class: 'muted' }, t('login.hint'))));
  setReady('login', reason);
  input.focus();
}

/** An error of a page load or an action: 401 logs out, anything else goes in the banner. */
function handleError(e, page, view) {
  if (e instanceof ApiError && e.status === 401) {
    token.clear();
    me = null;
    forgetCategories();
    showLogin(e.message, t('login.rejected', { reason: e.message }));
    return;
  }
  if (!(e instanceof ApiError)) console.error(e); // a bug in the page, not an API answer
  showBanner(e.message);
  if (view && view.querySelector('.loading')) fill(view); // the banner says it
  if (page) setReady(page, e.message);
}

async function start() {
  if (!token.get()) {
    showLogin('');
    return;
  }
  resetReady();
  fill(main, h('p', { class: 'loading' }, t('loading')));
  try {
    me = (await api('/v1/token')) || {};
    if (!Array.isArray(me.scopes)) me.scopes = [];
  } catch (e) {
    me = null;
    if (e instanceof ApiError && e.status === 401) {
      token.clear();
      showLogin(e.message, t('login.rejected', { reason: e.message }));
    } else {
      showLogin(e.message);
    }
    return;
  }
  route();
}

async function route() {
  if (!me) return;
  const { path, params } = parseHash();
  applyLangParam(params);
  const [first, ...rest] = path.split('/');
  const name = PAGES[first] ? first : 'overview';
  let arg = '';
  try { arg = decodeURIComponent(rest.join('/')); } catch (e) { arg = rest.join('/'); }

  const id = ++seq;
  runCleanups();
  resetReady();
  renderChrome(name);
  if (pendingFlash) showBanner(pendingFlash, 'ok');
  else hideBanner();
  pendingFlash = '';
  document.title = `${t(`nav.${name}`)} · ${t('app.title')}`;
  const view = h('div', { class: 'page', 'data-page': name }, h('p', { class: 'loading' }, t('loading')));
  fill(main, view);

  const ctx = {
    view, params, arg, me,
    admin: me.scopes.includes('admin'),
    isCurrent: () => id === seq,
    onCleanup: (fn) => cleanups.push(fn),
    /** A Chart.js chart destroyed with the page; null when Chart.js did not load. */
    chart(canvas, config) {
      if (typeof window.Chart !== 'function') return null;
      const c = new window.Chart(canvas, config);
      cleanups.push(() => c.destroy());
      return c;
    },
    /** Runs an admin action, then reloads the page with `ok(result)` as a notice. */
    async act(fn, ok) {
      try {
        const result = await fn();
        if (id !== seq) return;
        pendingFlash = ok(result);
        route();
      } catch (e) {
        if (id === seq) handleError(e, null, null);
      }
    },
  };
  try {
    await PAGES[name].render(ctx);
    if (id === seq) setReady(name);
  } catch (e) {
    if (id === seq) handleError(e, name, view);
  }
}

setLang(getLang());
applyLangParam(parseHash().params);
window.addEventListener('hashchange', () => {
  if (adoptHashToken()) start(); // a new token: ask again who it is
  else if (me) route();
});
start();
