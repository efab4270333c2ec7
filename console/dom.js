// replenish console — building DOM without innerHTML: h() for HTML, s() for SVG, and the
// small pieces several pages share (tables in a scrolling wrapper, state badges, user links).
// Text always goes in as text nodes, so data from the API is never parsed as markup.

import { t, label, DASH } from './i18n.js';
import { makeHash, navigate, enc } from './api.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.flat(Infinity).filter(Boolean).join(' ') : v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** h('td', {class: 'num', 'data-x': 1, onclick: fn}, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** Replaces an element's children (arrays flattened; null, undefined and false left out). */
export function fill(el, ...children) {
  el.replaceChildren();
  return build(el, null, children);
}

/** The same for SVG elements (created in the SVG namespace). */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** A table inside a wrapper that scrolls sideways on narrow screens. */
export function table(headers, rows, cls) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: cls },
      h('thead', null, h('tr', null, headers.map((x) => h('th', null, x)))),
      h('tbody', null, rows)));
}

export function badge(text, cls) {
  return h('span', { class: ['badge', cls] }, text);
}

export function stateBadge(state) {
  return badge(label('state', state), `st-${state}`);
}

export function userLink(userId) {
  return h('a', { href: makeHash(`customer/${enc(userId)}`) }, userId);
}

export function yesNo(v) {
  return v === undefined || v === null ? DASH : t(v ? 'yes' : 'no');
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', null, title) : null, children);
}

/**
 * An admin action button. With `confirm`, the first click only arms it ("Sure?") for four
 * seconds and the second one runs the action — no modal dialog.
 */
export function actionButton(action, id, text, run, { confirm = false, danger = false } = {}) {
  const b = h('button', { type: 'button', class: ['btn-small', danger && 'danger'], 'data-action': action, 'data-id': id }, text);
  let timer = 0;
  b.addEventListener('click', async () => {
    if (confirm && !b.classList.contains('armed')) {
      b.classList.add('armed');
      b.textContent = t('btn.confirm');
      timer = setTimeout(() => { b.classList.remove('armed'); b.textContent = text; }, 4000);
      return;
    }
    clearTimeout(timer);
    b.disabled = true;
    try { await run(); } finally { b.disabled = false; }
  });
  return b;
}

/** The "open a user" form (header and customer page). */
export function searchForm(value, cls) {
  const input = h('input', {
    type: 'search', name: 'user', value: value || '', placeholder: t('search.placeholder'),
    'aria-label': t('search.placeholder'), autocomplete: 'off', spellcheck: 'false', maxlength: 256,
  });
  const submit = (e) => {
    e.preventDefault();
    const v = input.value.trim();
    if (v) navigate(`customer/${enc(v)}`);
  };
  return h('form', { class: ['search', cls], role: 'search', onsubmit: submit },
    input, h('button', { type: 'submit' }, t('search.go')));
}
