// replenish console — #/overview: the counts an operator glances at (planned, due today, dead
// letters) and the last 30 days of results (sent, failed, conversions, coupons, holdout and
// the uplift with its 95% interval). "Today" is the daemon's merchant-local date from
// /v1/status, never the browser's clock (the daemon may run on a simulated clock).
// Test hooks: [data-count=<name>] holds the plain integer, [data-uplift] the uplift text.

import { t, label, pct, uplift, addDays, utcShort, DASH } from './i18n.js';
import { api, withQuery, categories, categoryName, makeHash } from './api.js';
import { h, table, section, fill } from './dom.js';

function count(v) {
  return Number.isInteger(v) ? String(v) : DASH;
}

/** A big number with its label; a link when `href` is given. */
function tile(name, value, sub, { href, alert } = {}) {
  const kids = [
    h('div', { class: 'tile-num', 'data-count': name }, count(value)),
    h('div', { class: 'tile-label' }, t(`cnt.${name}`)),
    sub ? h('div', { class: 'tile-sub' }, sub) : null,
  ];
  const cls = ['tile', alert && value > 0 && 'tile-alert'];
  return href ? h('a', { class: cls, href }, kids) : h('div', { class: cls }, kids);
}

export async function render(ctx) {
  const status = await api('/v1/status');
  const today = status.today || String(status.now || '').slice(0, 10);
  const since = addDays(today, -30);
  const until = addDays(today, 1); // exclusive: today counts
  const [stats, cats] = await Promise.all([
    api(withQuery('/v1/stats', { since, until })),
    categories(),
  ]);
  if (!ctx.isCurrent()) return;

  const byState = status.reminders || {};
  const total = stats.total || {};
  const holdout = total.holdout || {};
  const merchant = status.merchant && status.merchant.name ? status.merchant.name : '';

  const order = ['planned', 'sending', 'sent', 'converted', 'cancelled', 'held_out', 'dead'];
  const rank = (state) => (order.includes(state) ? order.indexOf(state) : order.length);
  const entries = Object.entries(byState).sort(([a], [b]) => rank(a) - rank(b));
  const states = entries.filter(([, n]) => n > 0).map(([state, n]) =>
    h('span', { class: ['chip', `st-${state}`] }, `${label('state', state)} ${n}`));

  const now = section(t('ov.now'),
    h('div', { class: 'tiles' },
      tile('planned', byState.planned || 0, null, { href: makeHash('schedule', { state: 'planned' }) }),
      tile('due_today', status.due_today, null, { href: makeHash('schedule', { state: 'planned' }) }),
      tile('dead', byState.dead || 0, null, { href: '#/dlq', alert: true })),
    states.length ? h('div', { class: 'chips' }, states) : null);

  const recent = section(t('ov.window', { since, until: today }),
    h('div', { class: 'tiles' },
      tile('sent', total.sent),
      tile('failed', total.failed, null, { alert: true }),
      tile('converted', total.converted, t('ov.rate', { rate: pct(total.conversion_rate) })),
      tile('coupons_redeemed', total.coupons_redeemed,
        t('ov.redeem_rate', { n: total.coupons ?? 0, rate: pct(total.coupon_redemption_rate) })),
      tile('holdout_converted', holdout.converted,
        t('ov.holdout_sub', { n: holdout.reminders ?? 0, rate: pct(holdout.conversion_rate) })),
      h('div', { class: ['tile', 'tile-wide', total.uplift && total.uplift.low > 0 && 'tile-good'] },
        h('div', { class: 'tile-num tile-uplift', 'data-uplift': '' }, uplift(total.uplift)),
        h('div', { class: 'tile-label' }, t('ov.uplift')),
        h('div', { class: 'tile-sub' }, total.uplift
          ? `${t('ov.uplift_sub')} · ${pct(total.conversion_rate)} vs ${pct(holdout.conversion_rate)}`
          : t('ov.uplift_none')))));

  const rows = (stats.by_category || []).map((g) => h('tr', { 'data-category': g.key },
    h('td', null, categoryName(cats, g.key)),
    h('td', { class: 'num' }, count(g.sent)),
    h('td', { class: 'num' }, count(g.converted)),
    h('td', { class: 'num' }, pct(g.conversion_rate))));
  const byCategory = section(t('ov.by_category'), rows.length
    ? table([t('col.category'), t('col.sent'), t('col.converted'), t('col.conv_rate')], rows, 'compact')
    : h('p', { class: 'muted' }, t('ov.no_rows')));

  fill(ctx.view,
    h('p', { class: 'meta' }, t('ov.meta', { merchant: merchant || DASH, today, now: utcShort(status.now), version: status.version || DASH })),
    now, recent, byCategory);
}
