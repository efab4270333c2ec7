// replenish console — #/model: the latest saved backtest (model against the four baselines:
// MAE in days and hit rate, overall and per category, as Chart.js bars and as text), each
// category's prior, and a histogram of the users' current predicted cycles.
// Test hooks: <section data-category>, [data-mae=<method>] (days, two decimals),
// [data-hit=<method>] (percent, one decimal).

import { t, label, pct, num, utcShort, DASH } from './i18n.js';
import { api } from './api.js';
import { h, table, section, fill } from './dom.js';

const METHODS = ['model', 'fixed_cycle', 'last_interval', 'user_mean', 'user_median'];
const COLORS = { model: '#2563eb', other: '#a3acb9', cycles: '#0f9d8a' };
const FONT = 'system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif';

/** [method, Metrics] for the model and each baseline present in a backtest section. */
function methods(sec) {
  const b = sec.baselines || {};
  return METHODS.map((m) => [m, m === 'model' ? sec.model : b[m]]).filter(([, x]) => x);
}

function barConfig(labels, values, colors, title, suffix) {
  return {
    type: 'bar',
    data: { labels, datasets: [{ data: values, backgroundColor: colors, borderRadius: 3, maxBarThickness: 48 }] },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: {
        legend: { display: false },
        title: { display: true, text: title, font: { family: FONT, size: 13, weight: '600' } },
        tooltip: { callbacks: { label: (c) => `${c.formattedValue}${suffix}` } },
      },
      scales: {
        x: { ticks: { font: { family: FONT }, autoSkip: false, maxRotation: 40 } },
        y: { beginAtZero: true, ticks: { font: { family: FONT } } },
      },
    },
  };
}

/** A canvas in a sized box; the chart is made once the page is in the DOM. */
function chartBox(pending, config) {
  const canvas = h('canvas', { role: 'img', 'aria-label': config.options.plugins.title.text });
  pending.push([canvas, config]);
  return h('div', { class: 'chart-box' }, canvas);
}

function overallTable(sec) {
  const rows = methods(sec).map(([m, x]) => h('tr', { class: m === 'model' ? 'is-model' : null },
    h('th', { scope: 'row' }, label('method', m)),
    h('td', { class: 'num' }, x.n ?? sec.n ?? DASH),
    h('td', { class: 'num' }, num(x.mae, 2)),
    h('td', { class: 'num' }, num(x.median_ae, 1)),
    h('td', { class: 'num' }, pct(x.within_3d)),
    h('td', { class: 'num' }, pct(x.within_7d)),
    h('td', { class: 'num' }, pct(x.coverage)),
    h('td', { class: 'num' }, pct(x.hit)),
    h('td', { class: 'num' }, pct(x.too_early)),
    h('td', { class: 'num' }, pct(x.too_late))));
  return table(['col.method', 'col.n', 'col.mae', 'col.median_ae', 'col.within_3d', 'col.within_7d',
    'col.coverage', 'col.hit', 'col.too_early', 'col.too_late'].map((k) => t(k)), rows, 'compact');
}

function backtestBlock(sec, pending) {
  const ms = methods(sec);
  const labels = ms.map(([m]) => label('method', m));
  const colors = ms.map(([m]) => (m === 'model' ? COLORS.model : COLORS.other));
  const rows = ms.map(([m, x]) => h('tr', { class: m === 'model' ? 'is-model' : null },
    h('th', { scope: 'row' }, label('method', m)),
    h('td', { class: 'num', 'data-mae': m }, num(x.mae, 2)),
    h('td', { class: 'num', 'data-hit': m }, pct(x.hit)),
    h('td', { class: 'num' }, pct(x.within_7d))));
  return [
    h('div', { class: 'charts' },
      chartBox(pending, barConfig(labels, ms.map(([, x]) => x.mae), colors, t('mdl.mae'), ` ${t('days', { d: '' }).trim()}`)),
      chartBox(pending, barConfig(labels, ms.map(([, x]) => (typeof x.hit === 'number' ? +(x.hit * 100).toFixed(1) : null)), colors, t('mdl.hit'), '%'))),
    table([t('col.method'), t('col.mae'), t('col.hit'), t('col.within_7d')], rows, 'compact narrow'),
  ];
}

function priorLine(c) {
  const p = c.prior;
  if (!p) return t('mdl.no_prior', { d: c.default_cycle_days });
  const text = t(p.learned ? 'mdl.prior_learned' : 'mdl.prior_default', { d: num(p.cycle_days, 1), n: p.n_users ?? 0 });
  return `${text} · ${t('mdl.default', { d: c.default_cycle_days })}`;
}

function cyclesBlock(cycles, pending) {
  const bins = (cycles && cycles.bins) || [];
  if (!bins.length) return h('p', { class: 'muted' }, t('mdl.no_cycles'));
  const w = cycles.bin_days || 1;
  const labels = bins.map((b) => (w === 1 ? String(b.lo) : `${b.lo}–${b.hi - 1}`));
  const config = barConfig(labels, bins.map((b) => b.count), COLORS.cycles,
    t('mdl.cycles', { n: cycles.pairs ?? 0, w }), ` ${t('mdl.users')}`);
  config.data.datasets[0].maxBarThickness = 90;
  config.data.datasets[0].barPercentage = 1;
  config.data.datasets[0].categoryPercentage = 0.92;
  config.options.scales.y.ticks.precision = 0;
  return chartBox(pending, config);
}

function category(c, pending) {
  return h('section', { class: 'card', 'data-category': c.category },
    h('h2', null, c.name || c.category, ' ', h('small', { class: 'muted' }, c.category)),
    h('p', { class: 'meta' }, h('span', { class: 'pred-label' }, t('mdl.prior')), ' ', priorLine(c),
      c.backtest ? ` · ${t('mdl.samples', { n: c.backtest.n ?? DASH })}` : ''),
    c.backtest ? backtestBlock(c.backtest, pending) : h('p', { class: 'muted' }, t('mdl.no_cat_backtest')),
    cyclesBlock(c.cycles, pending));
}

export async function render(ctx) {
  const m = await api('/v1/model');
  if (!ctx.isCurrent()) return;
  const pending = [];
  const bt = m.backtest;
  const head = bt
    ? section(t('mdl.overall'),
      h('p', { class: 'meta' }, t('mdl.ran', { at: utcShort(bt.ran_at), source: bt.source || DASH, n: (bt.overall && bt.overall.n) ?? DASH })),
      bt.overall ? [backtestBlock(bt.overall, pending)[0], overallTable(bt.overall)] : null)
    : h('div', { class: 'card notice', 'data-no-backtest': '' },
      h('p', null, t('mdl.no_backtest')),
      h('pre', null, h('code', null, 'replenishctl backtest --save FILE')));
  fill(ctx.view,
    h('h1', null, t('mdl.title')),
    typeof window.Chart === 'function' ? null : h('p', { class: 'error-text' }, t('err.charts')),
    head,
    (m.categories || []).map((c) => category(c, pending)));
  if (typeof window.Chart === 'function') {
    window.Chart.defaults.font.family = FONT;
    for (const [canvas, config] of pending) ctx.chart(canvas, config);
  }
}
