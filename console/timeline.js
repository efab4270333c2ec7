// replenish console — one category's timeline as SVG: a horizontal time axis with month
// ticks, a dot per purchase day, the predicted need date as a marker over its shaded 80%
// interval, "today" as a dashed line, and the reminders as small triangles coloured by state
// (CSS classes st-<state>). Dates are "YYYY-MM-DD" strings placed by calendar day, so the
// browser's time zone and clock play no part. Redrawn when its container changes width.

import { t, getLang, label } from './i18n.js';
import { h, s, fill } from './dom.js';

const DAY = 86400000;
const HEIGHT = 96;
const AXIS_Y = 64;
const DOT_Y = 44;

function dayNum(date) {
  const [y, m, d] = date.slice(0, 10).split('-').map(Number);
  return Date.UTC(y, m - 1, d) / DAY;
}

function isDate(x) {
  return typeof x === 'string' && /^\d{4}-\d{2}-\d{2}/.test(x);
}

/** Month ticks: the first day of every `step`-th month inside [lo, hi]. */
function monthTicks(lo, hi, step) {
  const ticks = [];
  const start = new Date(lo * DAY);
  let y = start.getUTCFullYear();
  let m = start.getUTCMonth() + 1; // the first 1st after lo
  for (;;) {
    if (m > 11) { y += Math.floor(m / 12); m %= 12; }
    const day = Date.UTC(y, m, 1) / DAY;
    if (day > hi) break;
    if (m % step === 0 || step === 1) ticks.push({ day, y, m });
    m += 1;
  }
  return ticks;
}

function tickLabel({ y, m }, withYear) {
  if (getLang() === 'zh') return withYear ? `${y}年${m + 1}月` : `${m + 1}月`;
  const name = new Intl.DateTimeFormat('en', { month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m, 1)));
  return withYear ? `${name} ${y}` : name;
}

/** The SVG for `data` = {purchases: [{date, text}], prediction: {next, lo, hi} | null,
 *  reminders: [{date, state, text}], today} drawn `width` pixels wide. */
function draw(data, width) {
  const days = [
    ...data.purchases.map((p) => p.date), ...data.reminders.map((r) => r.date),
    data.prediction && data.prediction.lo, data.prediction && data.prediction.hi,
    data.prediction && data.prediction.next, data.today,
  ].filter(isDate).map(dayNum);
  const svg = s('svg', { class: 'timeline', width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: 'img' });
  if (!days.length) return svg;
  let lo = Math.min(...days);
  let hi = Math.max(...days);
  const pad = Math.max(hi - lo, 30) * 0.04 + 3;
  lo -= pad;
  hi += pad;
  const left = 8;
  const right = width - 8;
  const x = (date) => left + ((dayNum(date) - lo) / (hi - lo)) * (right - left);

  const pred = data.prediction;
  if (pred && isDate(pred.lo) && isDate(pred.hi)) {
    const x0 = x(pred.lo);
    svg.append(s('rect', { class: 'tl-band', x: x0, y: 8, width: Math.max(x(pred.hi) - x0, 2), height: AXIS_Y - 8 },
      s('title', null, `${t('lg.band')}: ${pred.lo.slice(0, 10)} … ${pred.hi.slice(0, 10)}`)));
  }

  // The axis, its month ticks (every 1, 2, 3, 6 or 12 months, whatever leaves room for labels).
  svg.append(s('line', { class: 'tl-axis', x1: left, x2: right, y1: AXIS_Y, y2: AXIS_Y }));
  const perMonth = (30.44 / (hi - lo)) * (right - left);
  const step = [1, 2, 3, 6, 12].find((k) => perMonth * k >= 58) || 12;
  monthTicks(lo, hi, step).forEach((tk, i) => {
    const tx = left + ((tk.day - lo) / (hi - lo)) * (right - left);
    svg.append(s('line', { class: 'tl-tick', x1: tx, x2: tx, y1: AXIS_Y, y2: AXIS_Y + 5 }));
    svg.append(s('text', { class: 'tl-label', x: tx, y: AXIS_Y + 18, 'text-anchor': 'middle' },
      tickLabel(tk, i === 0 || tk.m === 0)));
  });

  if (isDate(data.today)) {
    const tx = x(data.today);
    svg.append(s('line', { class: 'tl-today', x1: tx, x2: tx, y1: 4, y2: AXIS_Y },
      s('title', null, `${t('lg.today')}: ${data.today}`)));
  }
  if (pred && isDate(pred.next)) {
    const px = x(pred.next);
    svg.append(s('line', { class: 'tl-pred-line', x1: px, x2: px, y1: 8, y2: AXIS_Y }));
    svg.append(s('path', { class: 'tl-pred', d: `M${px} ${DOT_Y - 8}L${px + 7} ${DOT_Y}L${px} ${DOT_Y + 8}L${px - 7} ${DOT_Y}Z` },
      s('title', null, `${t('lg.predicted')}: ${pred.next.slice(0, 10)}`)));
  }

  // One dot per purchase day (bigger when several lines fall on the day).
  const byDay = new Map();
  for (const p of data.purchases) {
    const key = p.date.slice(0, 10);
    byDay.set(key, [...(byDay.get(key) || []), p.text]);
  }
  for (const [date, texts] of byDay) {
    svg.append(s('circle', { class: 'tl-dot', cx: x(date), cy: DOT_Y, r: texts.length > 1 ? 6.5 : 5 },
      s('title', null, texts.join('\n'))));
  }

  // Reminders: downward triangles above the dots, stacked when they share a day.
  const stack = new Map();
  for (const r of data.reminders) {
    const key = r.date.slice(0, 10);
    const k = stack.get(key) || 0;
    stack.set(key, k + 1);
    const rx = x(r.date);
    const tip = 26 - Math.min(k, 2) * 9;
    svg.append(s('path', { class: ['tl-rem', `st-${r.state}`], d: `M${rx - 6} ${tip - 9}L${rx + 6} ${tip - 9}L${rx} ${tip}Z` },
      s('title', null, r.text)));
  }
  return svg;
}

function legend(states, withPrediction) {
  const item = (cls, text) => h('span', { class: 'lg-item' }, h('span', { class: ['lg', cls] }), text);
  return h('div', { class: 'tl-legend' },
    item('lg-dot', t('lg.purchase')),
    withPrediction ? [item('lg-pred', t('lg.predicted')), item('lg-band', t('lg.band'))] : null,
    item('lg-today', t('lg.today')),
    [...new Set(states)].map((st) => item(['lg-tri', `st-${st}`], `${t('lg.reminder')}: ${label('state', st)}`)));
}

/** A container holding the timeline and its legend, kept as wide as its parent. */
export function timeline(data, onCleanup) {
  const holder = h('div', { class: 'tl-holder' });
  const box = h('div', { class: 'tl-box' }, holder, legend(data.reminders.map((r) => r.state), Boolean(data.prediction)));
  let drawnWidth = 0;
  const redraw = () => {
    const width = Math.max(280, Math.floor(holder.clientWidth || 640));
    if (width === drawnWidth) return;
    drawnWidth = width;
    fill(holder, draw(data, width));
  };
  if (typeof ResizeObserver === 'function') {
    const ro = new ResizeObserver(redraw);
    ro.observe(holder);
    onCleanup(() => ro.disconnect());
  }
  requestAnimationFrame(redraw);
  holder.append(draw(data, 640)); // a first drawing until the real width is known
  return box;
}
