// replenish console — talking to replenishd: the bearer token (sessionStorage, this browser
// session only), the hash route "#/page/arg?k=v", and fetch() wrapped so that every failure
// becomes an ApiError carrying the server's application/problem+json body.

import { t } from './i18n.js';

const TOKEN_KEY = 'replenish.token';

export const token = {
  get() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  },
  set(value) {
    try { sessionStorage.setItem(TOKEN_KEY, value); } catch (e) { /* not kept */ }
  },
  clear() {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing kept */ }
  },
};

/** The hash split into its path ("customer/u020") and its parameters. */
export function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  return { path, params };
}

/** "#/path?params" (parameters left out when there are none). */
export function makeHash(path, params) {
  const qs = params ? new URLSearchParams(params).toString() : '';
  return `#/${path}${qs ? `?${qs}` : ''}`;
}

/** Rewrites the current hash without a navigation (no history entry, no hashchange). */
export function replaceHash(path, params) {
  history.replaceState(null, '', location.pathname + location.search + makeHash(path, params));
}

/** Goes to a route; the same route again reloads it (a hashchange is sent by hand). */
export function navigate(path, params) {
  const hash = makeHash(path, params);
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

/**
 * Takes `token=` out of the hash into sessionStorage, so it stays neither in the address bar
 * nor in the history. Runs first thing on load. True when a token was taken.
 */
export function adoptHashToken() {
  const { path, params } = parseHash();
  if (!params.has('token')) return false;
  const value = params.get('token');
  params.delete('token');
  replaceHash(path, params);
  if (value) token.set(value);
  return Boolean(value);
}

export class ApiError extends Error {
  constructor(status, problem) {
    const p = problem || {};
    super(p.detail || p.title || t('err.http', { status }));
    this.status = status;
    this.problem = p;
  }
}

/** Calls the API; resolves to the JSON answer, rejects with an ApiError. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${token.get()}` };
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { title: t('err.network'), detail: `${t('err.network')} (${e.message})` });
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!res.ok) {
    const problem = data && typeof data === 'object' ? data
      : { title: res.statusText, status: res.status, detail: text.slice(0, 200) || undefined };
    throw new ApiError(res.status, problem);
  }
  return data;
}

/** "/v1/x?a=1&b=2", leaving out empty values. */
export function withQuery(path, query) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

export const enc = encodeURIComponent;

// The category names (slug → name) from GET /v1/model, read once per login; a failure only
// means the pages show slugs.
let categoryCache = null;

export function categories() {
  if (!categoryCache) {
    categoryCache = api('/v1/model')
      .then((m) => (m.categories || []).map((c) => ({ slug: c.category, name: c.name || c.category })))
      .catch(() => { categoryCache = null; return []; });
  }
  return categoryCache;
}

export function forgetCategories() { categoryCache = null; }

/** The display name of a category slug from a list loaded by categories(). */
export function categoryName(list, slug) {
  const c = list.find((x) => x.slug === slug);
  return c ? c.name : slug;
}
