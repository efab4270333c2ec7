// replenish console — #/customer/<user_id>: one user's purchases per periodic category on a
// timeline, the predicted need date with its 80% interval, the segments, the reminders and
// their outcome, the model's explanation of its estimate (built in the console's language from
// the category's `estimate` facts, or the engine's English `explain` lines when there are
// none) with a small "own cycle vs category prior" chart, opt-out and holdout.
// Test hooks: <section data-category>, [data-purchase] per order line, [data-predicted],
// [data-interval] ("lo … hi", YYYY-MM-DD), [data-explain] (a list; with an estimate its first
// line has the purchase count and the last purchase day), [data-cycle-chart].

import { t, label, num, DASH } from './i18n.js';
import { api, enc, ApiError } from './api.js';
import { h, s, table, badge, stateBadge, yesNo, searchForm, fill } from './dom.js';
import { timeline } from './timeline.js';

const day = (x) => (typeof x === 'string' ? x.slice(0, 10) : '');
const finite = (x) => typeof x === 'number' && isFinite(x);
const dayOr = (x) => day(x) || DASH;
const days1 = (x) => num(x, 1);
/** A weight 0..1 as a whole percentage ("94%"). */
const pct0 = (w) => (finite(w) ? `${Math.round(w * 100)}%` : DASH);
/** An amount as the engine writes it: whole numbers bare, others with two decimals. */
const amount = (x) => (finite(x) ? (Number.isInteger(x) ? String(x) : x.toFixed(2)) : DASH);

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

function intervalText(iv) {
  const vars = {
    d: num(iv.days, 0),
    w: finite(iv.weight) && iv.weight < 0.995 ? num(iv.weight, 2) : null, // full weight: unsaid
    note: iv.note ? label('ex.note', iv.note) : null,
  };
  const key = vars.w && vars.note ? 'ex.iv_wn' : vars.w ? 'ex.iv_w' : vars.note ? 'ex.iv_n' : 'ex.iv';
  return t(key, vars);
}

function repairedText(r) {
  if (!r) return null;
  const parts = ['bad_amount', 'bad_time', 'future', 'out_of_order', 'same_day']
    .filter((k) => r[k] > 0).map((k) => t(`ex.rep.${k}`, { n: r[k] }));
  return parts.length ? t('ex.repaired', { list: parts.join(t('ex.sep')) }) : null;
}

/** The explanation lines, in the console's language, from the estimate's facts. */
function explainLines(e) {
  const lines = [];
  if (!e.valid) {
    lines.push(t('ex.invalid'));
    lines.push(repairedText(e.repaired));
    return lines.filter(Boolean);
  }
  lines.push(t(e.purchases === 1 ? 'ex.purchases_one' : 'ex.purchases', {
    n: e.purchases ?? DASH, last: dayOr(e.last_day), amount: amount(e.last_amount), usual: amount(e.usual_amount),
  }));
  const ivs = e.intervals || [];
  if (!ivs.length) {
    lines.push(t('ex.no_interval'));
  } else {
    const list = ivs.map(intervalText).join(t('ex.sep'));
    const total = e.intervals_total ?? ivs.length;
    lines.push(total > ivs.length ? t('ex.intervals_last', { k: ivs.length, total, list }) : t('ex.intervals', { list }));
    lines.push(t('ex.own', { own: days1(e.own_cycle_days), prior: days1(e.prior_cycle_days), w: pct0(e.own_weight) }));
  }
  const p = e.prior || {};
  lines.push(p.source === 'learned'
    ? t('ex.prior_learned', { n: p.users ?? DASH, l: days1(p.learned_days), w: num(p.learned_weight, 2), d: days1(p.default_days) })
    : t('ex.prior_default', { d: days1(p.default_days), n: p.users ?? DASH, min: p.min_users ?? DASH }));
  if (e.amount) {
    lines.push(t('ex.amount', { r: num(e.amount.ratio, 2), f: num(e.amount.cycle_factor, 2), b: num(e.amount.beta, 2) }));
  }
  lines.push(t('ex.predicted', {
    c: days1(e.cycle_days), next: dayOr(e.next_day), level: finite(e.level) ? Math.round(e.level * 100) : 80,
    lo: dayOr(e.lo_day), hi: dayOr(e.hi_day),
  }));
  if (e.lapsed) lines.push(t('ex.lapsed', { today: dayOr(e.today) }));
  else if (e.overdue_days > 0) lines.push(t('ex.overdue', { n: e.overdue_days, today: dayOr(e.today) }));
  lines.push(repairedText(e.repaired));
  return lines.filter(Boolean);
}

/** Own cycle and category prior as two thin bars on one scale (from 0 days), the predicted
 *  cycle as a mark across both, and the weight on own history. Geometry in SVG attributes
 *  (percentages, so it follows the column's width), looks in CSS classes. */
function cycleChart(e) {
  if (!e || !e.valid) return null;
  const hasOwn = (e.intervals || []).length > 0 && finite(e.own_cycle_days);
  const own = hasOwn ? e.own_cycle_days : null;
  const values = [own, e.prior_cycle_days, e.cycle_days].filter(finite);
  if (!values.length) return null;
  const max = Math.max(...values) * 1.1 || 1;
  const at = (x) => `${Math.min(100, Math.max(0, (x / max) * 100)).toFixed(2)}%`;
  const mark = finite(e.cycle_days) ? at(e.cycle_days) : null;
  const bar = (value, cls) => s('svg', { class: 'cv-bar', 'aria-hidden': 'true', focusable: 'false' },
    s('rect', { class: 'cv-track', x: 0, y: 3, width: '100%', height: 6, rx: 3 }),
    finite(value) ? s('rect', { class: cls, x: 0, y: 3, width: at(value), height: 6, rx: 3 }) : null,
    mark ? s('line', { class: 'cv-mark', x1: mark, x2: mark, y1: 0, y2: 12 }) : null);
  const row = (name, value, cls, text) => [
    h('span', { class: 'cv-label' }, name), bar(value, cls), h('span', { class: 'cv-val' }, text)];
  return h('figure', { class: 'cv', 'data-cycle-chart': '', 'aria-label': t('cv.title') },
    h('div', { class: 'cv-grid' },
      row(t('cv.own'), own, 'cv-own', hasOwn ? t('days', { d: days1(own) }) : t('cv.no_own')),
      row(t('cv.prior'), e.prior_cycle_days, 'cv-prior', t('days', { d: days1(e.prior_cycle_days) }))),
    h('figcaption', { class: 'cv-foot' },
      mark ? h('span', { class: 'cv-key' }, h('span', { class: 'cv-key-mark' }), t('cv.predicted', { d: days1(e.cycle_days) })) : null,
      h('span', { class: 'cv-key' }, t('cv.weight'), ' ',
        h('strong', { class: 'cv-weight' }, pct0(hasOwn ? e.own_weight : 0)))));
}

function explanation(c) {
  const e = c.estimate && typeof c.estimate === 'object' ? c.estimate : null;
  const lines = e ? explainLines(e) : (c.explain || []);
  return [
    cycleChart(e),
    h('ul', { class: 'explain', 'data-explain': '' }, lines.map((x) => h('li', null, x))),
  ];
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
      h('div', null, h('h3', null, t('cus.explain')), explanation(c))),
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
