// replenish console — #/dlq: dead letters, most recently dead first, with the last error.
// With an admin token each row has Retry (back to planned, due now) and Drop (asks for a
// reason; the reminder becomes cancelled); without it the buttons are not in the DOM.
// Test hooks: <tr data-reminder-id>, button[data-action=retry|drop][data-id].

import { t, label } from './i18n.js';
import { api, categories, categoryName, enc } from './api.js';
import { h, table, userLink, actionButton, fill } from './dom.js';

const LIMIT = 500;

function row(r, cats, ctx) {
  const actions = ctx.admin ? h('td', { class: 'actions' },
    actionButton('retry', r.id, t('btn.retry'), () => ctx.act(
      () => api(`/v1/dlq/${enc(r.id)}/retry`, { method: 'POST', body: {} }),
      () => t('dlq.retried', { id: r.id }))),
    actionButton('drop', r.id, t('btn.drop'), () => {
      const reason = window.prompt(t('dlq.drop_prompt'), '');
      if (reason === null) return undefined;
      return ctx.act(
        () => api(`/v1/dlq/${enc(r.id)}/drop`, { method: 'POST', body: { reason: reason.trim() } }),
        () => t('dlq.dropped', { id: r.id }));
    }, { danger: true })) : null;
  return h('tr', { 'data-reminder-id': r.id, title: r.key },
    h('td', null, h('div', null, `#${r.id}`), h('div', { class: 'key' }, r.key)),
    h('td', null, userLink(r.user_id)),
    h('td', null, categoryName(cats, r.category)),
    h('td', null, label('kind', r.kind)),
    h('td', { class: 'nowrap' }, r.dead_local || ''),
    h('td', { class: 'reason' }, r.last_error || ''),
    h('td', { class: 'num' }, r.attempts),
    h('td', null, r.channel || ''),
    actions);
}

export async function render(ctx) {
  const [list, cats] = await Promise.all([api(`/v1/dlq?limit=${LIMIT}`), categories()]);
  if (!ctx.isCurrent()) return;
  const items = list.reminders || [];
  const headers = ['col.id', 'col.user', 'col.category', 'col.kind', 'col.dead_at', 'col.reason',
    'col.attempts', 'col.channel'].map((k) => t(k));
  if (ctx.admin) headers.push(t('col.actions'));
  fill(ctx.view,
    h('h1', null, t('dlq.title')),
    h('p', { class: 'meta' }, t('dlq.count', { count: list.count ?? items.length })),
    items.length ? table(headers, items.map((r) => row(r, cats, ctx)), 'dlq')
      : h('p', { class: 'empty' }, t('dlq.empty')));
}
