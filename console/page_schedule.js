// replenish console — #/schedule?state=&category=&segment=&channel=: upcoming reminders,
// soonest first, filtered by a form whose values live in the hash. With an admin token each
// planned row has Cancel (click twice) and Snooze (asks for 1–30 days); without it the
// buttons are not in the DOM at all.
// Test hooks: <tr data-reminder-id>, button[data-action=cancel|snooze][data-id].

import { t, label } from './i18n.js';
import { api, withQuery, categories, categoryName, navigate, enc } from './api.js';
import { h, table, stateBadge, userLink, actionButton, fill } from './dom.js';

const STATES = ['planned', 'sending', 'sent', 'converted', 'cancelled', 'dead', 'held_out', 'all'];
const SEGMENTS = ['new', 'regular', 'loyal', 'at_risk', 'lapsed', 'high_value'];
const LIMIT = 200;

function select(name, value, options, withAny) {
  const opts = options.map(([v, text]) => h('option', { value: v, selected: v === value }, text));
  if (withAny) opts.unshift(h('option', { value: '', selected: !value }, t('sch.any')));
  return h('label', { class: 'field' }, h('span', null, t(`col.${name}`)),
    h('select', { name }, opts));
}

function filterForm(filters, cats) {
  const catOptions = cats.map((c) => [c.slug, c.name]);
  if (filters.category && !cats.some((c) => c.slug === filters.category)) {
    catOptions.push([filters.category, filters.category]);
  }
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(e.target);
    const next = {};
    for (const k of ['state', 'category', 'segment', 'channel']) {
      const v = String(data.get(k) || '').trim();
      if (v) next[k] = v;
    }
    navigate('schedule', next);
  };
  return h('form', { class: 'filters', onsubmit: submit },
    select('state', filters.state, STATES.map((s) => [s, label('state', s)]), false),
    select('category', filters.category, catOptions, true),
    select('segment', filters.segment, SEGMENTS.map((s) => [s, label('seg', s)]), true),
    h('label', { class: 'field' }, h('span', null, t('col.channel')),
      h('input', { name: 'channel', value: filters.channel, size: 10, autocomplete: 'off', spellcheck: 'false' })),
    h('div', { class: 'field-buttons' },
      h('button', { type: 'submit', class: 'btn-primary' }, t('sch.filter')),
      h('a', { href: '#/schedule', class: 'btn-ghost' }, t('sch.reset'))));
}

function snoozeDays() {
  const answer = window.prompt(t('sch.snooze_prompt'), '1');
  if (answer === null) return null;
  const days = Number(answer.trim());
  if (!Number.isInteger(days) || days < 1 || days > 30) {
    window.alert(t('sch.snooze_bad'));
    return null;
  }
  return days;
}

function row(r, cats, ctx) {
  const actions = [];
  if (ctx.admin && r.state === 'planned') {
    actions.push(
      actionButton('cancel', r.id, t('btn.cancel'), () => ctx.act(
        () => api(`/v1/reminders/${enc(r.id)}/cancel`, { method: 'POST', body: {} }),
        () => t('sch.cancelled', { id: r.id })), { confirm: true, danger: true }),
      actionButton('snooze', r.id, t('btn.snooze'), () => {
        const days = snoozeDays();
        if (days === null) return undefined;
        return ctx.act(
          () => api(`/v1/reminders/${enc(r.id)}/snooze`, { method: 'POST', body: { seconds: days * 86400 } }),
          (res) => t('sch.snoozed', { id: r.id, due: (res && res.due_local) || '' }));
      }));
  }
  return h('tr', { 'data-reminder-id': r.id, title: r.key },
    h('td', null, h('div', null, `#${r.id}`), h('div', { class: 'key' }, r.key)),
    h('td', { class: 'nowrap' }, r.due_local),
    h('td', null, userLink(r.user_id)),
    h('td', null, categoryName(cats, r.category)),
    h('td', null, label('kind', r.kind)),
    h('td', null, r.segment ? label('seg', r.segment) : ''),
    h('td', null, r.channel || ''),
    h('td', null, stateBadge(r.state)),
    h('td', { class: 'num' }, r.attempts),
    ctx.admin ? h('td', { class: 'actions' }, actions) : null);
}

export async function render(ctx) {
  const p = ctx.params;
  const filters = {
    state: STATES.includes(p.get('state')) ? p.get('state') : 'planned',
    category: p.get('category') || '',
    segment: p.get('segment') || '',
    channel: p.get('channel') || '',
  };
  const [list, cats] = await Promise.all([
    api(withQuery('/v1/reminders', { ...filters, limit: LIMIT })),
    categories(),
  ]);
  if (!ctx.isCurrent()) return;

  const reminders = list.reminders || [];
  const headers = ['col.id', 'col.due', 'col.user', 'col.category', 'col.kind', 'col.segment',
    'col.channel', 'col.state', 'col.attempts'].map((k) => t(k));
  if (ctx.admin) headers.push(t('col.actions'));
  const count = list.count ?? reminders.length;
  fill(ctx.view,
    h('h1', null, t('sch.title')),
    filterForm(filters, cats),
    h('p', { class: 'meta' }, t('sch.count', { count }),
      reminders.length < count ? t('sch.shown', { n: reminders.length }) : ''),
    reminders.length
      ? table(headers, reminders.map((r) => row(r, cats, ctx)), 'schedule')
      : h('p', { class: 'empty' }, t('sch.empty')));
}
