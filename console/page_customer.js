// replenish console — #/customer/<user_id>: one user's purchases per periodic category on a
// timeline, the predicted need date with its 80% interval, the segments, the reminders and
// their outcome, the model's own explanation lines, opt-out and holdout.
// Test hooks: <section data-category>, [data-purchase] per order line, [data-predicted],
// [data-interval] ("lo … hi", YYYY-MM-DD), [data-explain] (a list).

import { t, label, num, DASH } from './i18n.js';
import { api, enc, ApiError } from './api.js';
import { h, table, badge, stateBadge, yesNo, searchForm, fill } from './dom.js';
import { timeline } from './timeline.js';

const day = (x) => (typeof x === 'string' ? x.slice(0, 10) : '');

function fact(name, on, text, dangerWhenOn) {
  return h('span', { class: ['fact', on && dangerWhenOn && 'fact-warn'], [`data-${name}`]: String(Boolean(on)) },
    `${text}: ${yesNo(Boolean(on))}`);
}

function prediction(p) {
  if (!p || !p.next_local) return h('p', { class: 'pred muted' }, t('cus.no_prediction'));
  return h('div', { class: 'pred' },
    h('div', { class: 'pred-main' },
      h('span', { class: 'pred-label' }, t('cus.predicted')), ' ',
      h('strong', { class: 'pred-date', 'data-predicted': day(p.next_local) }, day(p.next_local)),
      p.lapsed ? [' ', badge(t('cus.lapsed'), 'badge-warn')] : null),
    h('div', { class: 'pred-sub' },
      `${t('cus.interval')} `,
      h('span', { 'data-interval': '' }, `${day(p.lo)} \u2026 ${day(p.hi)}`),
      ' · ', t('cus.cycle', { d: num(p.cycle_days, 1), p: p.purchases ?? DASH })));
}

function purchases(lines) {
  const rows = lines.map((l) => h('tr', null,
    h('td', { class: 'nowrap', 'data-purchase': day(l.local) }, l.local || day(l.ordered_at)),
    h('td', { class: 'nowrap' }, l.sku || ''),
    h('td', { class: 'nowrap' }, l.pack_size || ''),
    h('td', { class: 'num' }, l.quantity ?? ''),
    h('td', { class: 'muted' }, l.order_id || '')));
  return table([t('col.date'), t('col.sku'), t('col.pack'), t('col.qty'), t('col.order')], rows, 'compact');
}

function reminders(list) {
  if (!list.length) return h('p', { class: 'muted' }, t('cus.no_reminders'));
  const rows = list.map((r) => h('tr', { 'data-reminder-id': r.id, title: r.key },
    h('td', null, `#${r.id}`),
    h('td', null, label('kind', r.kind)),
    h('td', { class: 'nowrap' }, r.due_local),
    h('td', null, stateBadge(r.state)),
    h('td', null, r.channel || ''),
    h('td', { class: 'nowrap' }, r.sent_local || DASH),
    h('td', null, yesNo(Boolean(r.converted_at) || r.state === 'converted')),
    h('td', null, r.coupon_code || DASH),
    h('td', null, r.coupon_code ? yesNo(r.coupon_redeemed) : DASH)));
  return table([t('col.id'), t('col.kind'), t('col.due'), t('col.state'), t('col.channel'),
    t('col.sent_at'), t('col.converted'), t('col.coupon'), t('col.redeemed')], rows, 'compact');
}

function category(c, today, ctx) {
  const p = c.prediction || null;
  const lines = c.lines || [];
  const rems = c.reminders || [];
  const data = {
    purchases: lines.map((l) => ({
      date: day(l.local || l.ordered_at),
      text: `${l.local || ''} · ${l.sku || ''} ${l.pack_size || ''} ×${l.quantity ?? ''}`,
    })),
    prediction: p ? { next: p.next_local, lo: p.lo, hi: p.hi } : null,
    reminders: rems.map((r) => ({
      date: day(r.due_local || r.due_at),
      state: r.state,
      text: `#${r.id} ${label('kind', r.kind)} · ${label('state', r.state)} · ${r.due_local || ''}`,
    })),
    today,
  };
  return h('section', { class: 'card', 'data-category': c.category },
    h('h2', null, c.name || c.category, ' ', h('small', { class: 'muted' }, c.category), ' ',
      (c.segments || []).map((sg) => badge(label('seg', sg), `seg seg-${sg}`))),
    prediction(p),
    timeline(data, ctx.onCleanup),
    h('div', { class: 'two-col' },
      h('div', null, h('h3', null, t('cus.purchases')), purchases(lines)),
      h('div', null, h('h3', null, t('cus.explain')),
        h('ul', { class: 'explain', 'data-explain': '' }, (c.explain || []).map((x) => h('li', null, x))))),
    h('h3', null, t('cus.reminders')),
    reminders(rems));
}

export async function render(ctx) {
  const id = ctx.arg.trim();
  const search = searchForm(id, 'page-search');
  if (!id) {
    fill(ctx.view, h('h1', null, t('cus.title')), search, h('p', { class: 'muted' }, t('cus.prompt')));
    return;
  }
  let user;
  let status;
  try {
    [user, status] = await Promise.all([
      api(`/v1/users/${enc(id)}`),
      api('/v1/status').catch(() => null), // only for the "today" line
    ]);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    const message = t('cus.not_found', { id });
    fill(ctx.view, h('h1', null, t('cus.title')), search, h('p', { class: 'error-text' }, message));
    throw new ApiError(404, { ...e.problem, detail: message });
  }
  if (!ctx.isCurrent()) return;

  const today = status && (status.today || day(status.now));
  const cats = user.categories || [];
  fill(ctx.view,
    h('div', { class: 'page-head' },
      h('h1', null, t('cus.title'), ' ', h('span', { class: 'user-id' }, user.user_id || id)),
      search),
    h('div', { class: 'facts' },
      fact('opted-out', user.opted_out, t('cus.opted_out'), true),
      fact('held-out', user.held_out, t('cus.held_out'), false),
      h('span', { class: 'fact' }, `${t('cus.other_lines')}: ${user.other_lines ?? 0}`)),
    cats.length ? cats.map((c) => category(c, today, ctx)) : h('p', { class: 'empty' }, t('cus.no_categories')));
}
