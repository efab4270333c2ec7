// replenish console — the UI strings (one dictionary, zh and en), the current language and
// the number/date formatting every page shares. Chinese is the default; the choice is kept in
// localStorage under "replenish.lang".

const STRINGS = {
  zh: {
    'app.title': '补货提醒 · 控制台',
    'nav.overview': '概览', 'nav.schedule': '计划', 'nav.customer': '顾客',
    'nav.model': '模型', 'nav.dlq': '死信',
    'search.placeholder': '用户 ID', 'search.go': '打开',
    'lang.button': 'EN', 'lang.title': 'Switch to English',
    'logout': '退出登录', 'role.admin': '管理员', 'role.read': '只读',
    'login.title': '登录', 'login.token': '访问令牌', 'login.submit': '登录',
    'login.hint': '令牌只保存在当前浏览器会话中，关闭浏览器即失效。',
    'login.rejected': '令牌未被接受：{reason}',
    'loading': '加载中…',
    'err.network': '无法连接服务',
    'err.http': 'HTTP {status}',
    'err.charts': '图表组件未加载，仅显示表格。',
    'yes': '是', 'no': '否',
    'days': '{d} 天',
    'ov.now': '当前',
    'ov.window': '近 30 天（{since} 至 {until}）',
    'ov.meta': '{merchant} · 今天 {today} · 服务时间 {now} · 版本 {version}',
    'cnt.planned': '已计划', 'cnt.due_today': '今日到期', 'cnt.dead': '死信',
    'cnt.sent': '已发送', 'cnt.failed': '发送失败', 'cnt.converted': '已回购',
    'cnt.coupons_redeemed': '优惠券已核销', 'cnt.holdout_converted': '对照组回购',
    'ov.uplift': '相对对照组的转化提升',
    'ov.uplift_sub': '95% 置信区间',
    'ov.uplift_none': '对照组样本不足',
    'ov.rate': '转化率 {rate}',
    'ov.redeem_rate': '共发券 {n} 张，核销率 {rate}',
    'ov.holdout_sub': '对照组 {n} 条，转化率 {rate}',
    'ov.by_category': '按品类（近 30 天）',
    'ov.no_rows': '暂无数据',
    'col.category': '品类', 'col.sent': '已发送', 'col.converted': '已回购',
    'col.conv_rate': '转化率', 'col.id': '编号', 'col.due': '到期（本地）', 'col.user': '用户',
    'col.kind': '类型', 'col.segment': '分群', 'col.channel': '渠道', 'col.state': '状态',
    'col.attempts': '尝试', 'col.actions': '操作', 'col.date': '时间', 'col.sku': '商品',
    'col.pack': '规格', 'col.qty': '数量', 'col.order': '订单', 'col.sent_at': '发送时间',
    'col.coupon': '优惠券', 'col.redeemed': '已核销', 'col.dead_at': '进入死信',
    'col.reason': '原因', 'col.method': '方法', 'col.n': '样本',
    'col.mae': '平均误差（天）', 'col.median_ae': '中位误差（天）', 'col.within_3d': '±3 天内',
    'col.within_7d': '±7 天内', 'col.coverage': '区间覆盖', 'col.hit': '命中率',
    'col.too_early': '过早', 'col.too_late': '过晚',
    'sch.title': '提醒计划', 'sch.any': '全部', 'sch.filter': '筛选', 'sch.reset': '重置',
    'sch.count': '共 {count} 条', 'sch.shown': '，显示前 {n} 条',
    'sch.empty': '没有符合条件的提醒',
    'sch.snooze_prompt': '推迟几天？（1–30）',
    'sch.snooze_bad': '请输入 1 到 30 之间的整数天数',
    'sch.cancelled': '提醒 #{id} 已取消', 'sch.snoozed': '提醒 #{id} 已推迟到 {due}',
    'btn.cancel': '取消', 'btn.snooze': '推迟', 'btn.confirm': '确认？',
    'btn.retry': '重试', 'btn.drop': '丢弃',
    'state.planned': '计划中', 'state.sending': '发送中', 'state.sent': '已发送',
    'state.converted': '已回购', 'state.cancelled': '已取消', 'state.dead': '死信',
    'state.held_out': '对照组', 'state.all': '全部',
    'kind.replenish': '补货', 'kind.follow_up': '跟进', 'kind.win_back': '召回',
    'seg.new': '新客', 'seg.regular': '常客', 'seg.loyal': '忠实', 'seg.at_risk': '流失风险',
    'seg.lapsed': '已流失', 'seg.high_value': '高价值',
    'cus.title': '顾客', 'cus.prompt': '输入用户 ID 查看其购买、预测与提醒。',
    'cus.not_found': '找不到用户 {id}',
    'cus.opted_out': '退订', 'cus.held_out': '对照组', 'cus.other_lines': '其他商品订单行',
    'cus.predicted': '预计需要补货', 'cus.interval': '80% 区间',
    'cus.cycle': '约每 {d} 天一次，基于 {p} 个购买日',
    'cus.lapsed': '已超期未购',
    'cus.no_prediction': '购买记录太少，暂无预测',
    'cus.segments': '分群', 'cus.purchases': '购买记录', 'cus.reminders': '提醒',
    'cus.explain': '预测依据', 'cus.no_reminders': '暂无提醒',
    'cus.no_categories': '该用户没有周期性品类的购买',
    'ex.purchases': '共 {n} 个购买日，最近一次 {last}（数量 {amount}，平时 {usual}）。',
    'ex.purchases_one': '仅 {n} 个购买日：{last}（数量 {amount}，平时 {usual}）。',
    'ex.intervals': '所用间隔：{list}。',
    'ex.intervals_last': '所用间隔（最近 {k} 个，共 {total} 个）：{list}。',
    'ex.sep': '、',
    'ex.iv': '{d} 天', 'ex.iv_w': '{d} 天（权重 {w}）', 'ex.iv_n': '{d} 天（{note}）',
    'ex.iv_wn': '{d} 天（权重 {w}，{note}）',
    'ex.note.long_gap': '长间隔', 'ex.note.top_up': '提前补买',
    'ex.own': '自身周期 {own} 天；品类先验 {prior} 天；自身历史权重 {w}。',
    'ex.no_interval': '还没有购买间隔：只由品类先验决定。',
    'ex.prior_default': '品类先验：默认 {d} 天（有间隔的用户 {n} 位，少于 {min} 位）。',
    'ex.prior_learned': '品类先验：由 {n} 位用户学得（{l} 天，权重 {w}），与默认 {d} 天合成。',
    'ex.amount': '数量影响：最近一次购买量是平时的 {r} 倍，周期 ×{f}（β {b}）。',
    'ex.predicted': '预测周期 {c} 天：预计 {next} 需要补货，{level}% 区间 {lo} 至 {hi}。',
    'ex.lapsed': '已流失：{today} 已远超区间，很可能不会再买。',
    'ex.overdue': '截至 {today} 已逾期 {n} 天。',
    'ex.repaired': '输入已修复：{list}。',
    'ex.rep.bad_amount': '忽略 {n} 条无效数量', 'ex.rep.bad_time': '忽略 {n} 条无效时间',
    'ex.rep.future': '忽略 {n} 条未来时间', 'ex.rep.out_of_order': '{n} 条乱序已重排',
    'ex.rep.same_day': '{n} 条同日购买已合并',
    'ex.invalid': '没有可用的购买记录，无法预测。',
    'cv.own': '自身周期', 'cv.prior': '品类先验', 'cv.no_own': '暂无间隔',
    'cv.predicted': '预测周期 {d} 天', 'cv.weight': '自身历史权重',
    'cv.title': '自身周期与品类先验（天）',
    'lg.purchase': '购买', 'lg.predicted': '预计', 'lg.band': '80% 区间', 'lg.today': '今天',
    'lg.reminder': '提醒',
    'mdl.title': '预测模型',
    'mdl.no_backtest': '还没有保存的回测结果。运行以下命令生成：',
    'mdl.ran': '回测于 {at} · 数据 {source} · {n} 次预测',
    'mdl.overall': '总体', 'mdl.mae': '平均绝对误差（天）', 'mdl.hit': '命中率（%）',
    'mdl.prior': '品类先验',
    'mdl.prior_learned': '周期 {d} 天 · {n} 位用户 · 已从数据学习',
    'mdl.prior_default': '周期 {d} 天 · {n} 位用户 · 未学习（用户太少）',
    'mdl.no_prior': '无先验，使用默认周期 {d} 天',
    'mdl.default': '默认周期 {d} 天',
    'mdl.cycles': '用户当前预测周期分布（{n} 人，每格 {w} 天）',
    'mdl.no_cycles': '暂无用户预测',
    'mdl.no_cat_backtest': '此品类没有回测数据', 'mdl.samples': '回测 {n} 次预测',
    'mdl.users': '人数',
    'method.model': '模型', 'method.fixed_cycle': '固定周期', 'method.last_interval': '上次间隔',
    'method.user_mean': '个人平均', 'method.user_median': '个人中位数',
    'dlq.title': '死信队列', 'dlq.count': '共 {count} 条死信', 'dlq.empty': '没有死信',
    'dlq.drop_prompt': '丢弃原因：',
    'dlq.retried': '提醒 #{id} 已重新排队', 'dlq.dropped': '提醒 #{id} 已丢弃',
  },
  en: {
    'app.title': 'Replenish · Console',
    'nav.overview': 'Overview', 'nav.schedule': 'Schedule', 'nav.customer': 'Customer',
    'nav.model': 'Model', 'nav.dlq': 'Dead letters',
    'search.placeholder': 'User ID', 'search.go': 'Open',
    'lang.button': '中文', 'lang.title': '切换到中文',
    'logout': 'Log out', 'role.admin': 'admin', 'role.read': 'read-only',
    'login.title': 'Sign in', 'login.token': 'Access token', 'login.submit': 'Sign in',
    'login.hint': 'The token is kept for this browser session only.',
    'login.rejected': 'The token was not accepted: {reason}',
    'loading': 'Loading…',
    'err.network': 'Cannot reach the server',
    'err.http': 'HTTP {status}',
    'err.charts': 'The chart library did not load; tables only.',
    'yes': 'yes', 'no': 'no',
    'days': '{d} d',
    'ov.now': 'Right now',
    'ov.window': 'Last 30 days ({since} to {until})',
    'ov.meta': '{merchant} · today {today} · server time {now} · version {version}',
    'cnt.planned': 'Planned', 'cnt.due_today': 'Due today', 'cnt.dead': 'Dead letters',
    'cnt.sent': 'Sent', 'cnt.failed': 'Failed', 'cnt.converted': 'Converted',
    'cnt.coupons_redeemed': 'Coupons redeemed', 'cnt.holdout_converted': 'Holdout converted',
    'ov.uplift': 'Uplift over the holdout group',
    'ov.uplift_sub': '95% confidence interval',
    'ov.uplift_none': 'not enough holdout data',
    'ov.rate': 'conversion {rate}',
    'ov.redeem_rate': '{n} coupons issued, {rate} redeemed',
    'ov.holdout_sub': '{n} held out, conversion {rate}',
    'ov.by_category': 'By category (last 30 days)',
    'ov.no_rows': 'No data yet',
    'col.category': 'Category', 'col.sent': 'Sent', 'col.converted': 'Converted',
    'col.conv_rate': 'Conversion', 'col.id': 'ID', 'col.due': 'Due (local)', 'col.user': 'User',
    'col.kind': 'Kind', 'col.segment': 'Segment', 'col.channel': 'Channel', 'col.state': 'State',
    'col.attempts': 'Attempts', 'col.actions': 'Actions', 'col.date': 'Time', 'col.sku': 'SKU',
    'col.pack': 'Pack', 'col.qty': 'Qty', 'col.order': 'Order', 'col.sent_at': 'Sent',
    'col.coupon': 'Coupon', 'col.redeemed': 'Redeemed', 'col.dead_at': 'Dead since',
    'col.reason': 'Reason', 'col.method': 'Method', 'col.n': 'n',
    'col.mae': 'MAE (d)', 'col.median_ae': 'Median AE (d)', 'col.within_3d': 'within 3 d',
    'col.within_7d': 'within 7 d', 'col.coverage': 'Coverage', 'col.hit': 'Hit rate',
    'col.too_early': 'Too early', 'col.too_late': 'Too late',
    'sch.title': 'Schedule', 'sch.any': 'Any', 'sch.filter': 'Filter', 'sch.reset': 'Reset',
    'sch.count': '{count} reminders', 'sch.shown': ', first {n} shown',
    'sch.empty': 'No reminders match',
    'sch.snooze_prompt': 'Snooze by how many days? (1–30)',
    'sch.snooze_bad': 'Enter a whole number of days from 1 to 30',
    'sch.cancelled': 'Reminder #{id} cancelled', 'sch.snoozed': 'Reminder #{id} now due {due}',
    'btn.cancel': 'Cancel', 'btn.snooze': 'Snooze', 'btn.confirm': 'Sure?',
    'btn.retry': 'Retry', 'btn.drop': 'Drop',
    'state.planned': 'planned', 'state.sending': 'sending', 'state.sent': 'sent',
    'state.converted': 'converted', 'state.cancelled': 'cancelled', 'state.dead': 'dead',
    'state.held_out': 'held out', 'state.all': 'all',
    'kind.replenish': 'replenish', 'kind.follow_up': 'follow-up', 'kind.win_back': 'win-back',
    'seg.new': 'new', 'seg.regular': 'regular', 'seg.loyal': 'loyal', 'seg.at_risk': 'at risk',
    'seg.lapsed': 'lapsed', 'seg.high_value': 'high value',
    'cus.title': 'Customer', 'cus.prompt': 'Enter a user ID to see purchases, prediction and reminders.',
    'cus.not_found': 'No user {id}',
    'cus.opted_out': 'Opted out', 'cus.held_out': 'Holdout', 'cus.other_lines': 'Other order lines',
    'cus.predicted': 'Predicted need', 'cus.interval': '80% interval',
    'cus.cycle': 'about every {d} days, from {p} purchase days',
    'cus.lapsed': 'overdue',
    'cus.no_prediction': 'Too little history for a prediction',
    'cus.segments': 'Segments', 'cus.purchases': 'Purchases', 'cus.reminders': 'Reminders',
    'cus.explain': 'How the estimate was made', 'cus.no_reminders': 'No reminders',
    'cus.no_categories': 'No purchases in a periodic category',
    'ex.purchases': '{n} purchase days, last on {last} (amount {amount}, usual {usual}).',
    'ex.purchases_one': '{n} purchase day, on {last} (amount {amount}, usual {usual}).',
    'ex.intervals': 'Intervals used: {list}.',
    'ex.intervals_last': 'Last {k} of {total} intervals used: {list}.',
    'ex.sep': ', ',
    'ex.iv': '{d} d', 'ex.iv_w': '{d} d weighted {w}', 'ex.iv_n': '{d} d ({note})',
    'ex.iv_wn': '{d} d weighted {w} ({note})',
    'ex.note.long_gap': 'long gap', 'ex.note.top_up': 'top-up',
    'ex.own': 'Own cycle {own} d; category prior {prior} d; weight on own history {w}.',
    'ex.no_interval': 'No interval yet: the category prior alone decides.',
    'ex.prior_default': 'Category prior: configured default {d} d ({n} users with an interval, fewer than {min}).',
    'ex.prior_learned': 'Category prior: learned from {n} users ({l} d, weight {w}) and the default {d} d.',
    'ex.amount': 'Amount effect: last purchase ×{r} of usual, cycle ×{f} (beta {b}).',
    'ex.predicted': 'Predicted cycle {c} d: next need {next}, {level}% interval {lo} .. {hi}.',
    'ex.lapsed': 'Lapsed: {today} is far past the interval; probably gone.',
    'ex.overdue': 'Overdue by {n} d on {today}.',
    'ex.repaired': 'Input repaired: {list}.',
    'ex.rep.bad_amount': '{n} bad amounts ignored', 'ex.rep.bad_time': '{n} bad times ignored',
    'ex.rep.future': '{n} in the future ignored', 'ex.rep.out_of_order': '{n} out of order sorted',
    'ex.rep.same_day': '{n} same-day merged',
    'ex.invalid': 'No usable purchase, so no prediction.',
    'cv.own': 'Own cycle', 'cv.prior': 'Category prior', 'cv.no_own': 'no interval yet',
    'cv.predicted': 'predicted cycle {d} d', 'cv.weight': 'weight on own history',
    'cv.title': 'Own cycle vs category prior (days)',
    'lg.purchase': 'purchase', 'lg.predicted': 'predicted', 'lg.band': '80% interval',
    'lg.today': 'today', 'lg.reminder': 'reminder',
    'mdl.title': 'Model',
    'mdl.no_backtest': 'No backtest was saved yet. Run:',
    'mdl.ran': 'Backtest of {at} · data {source} · {n} predictions',
    'mdl.overall': 'Overall', 'mdl.mae': 'Mean absolute error (days)', 'mdl.hit': 'Hit rate (%)',
    'mdl.prior': 'Category prior',
    'mdl.prior_learned': 'cycle {d} d · {n} users · learned from data',
    'mdl.prior_default': 'cycle {d} d · {n} users · not learned (too few users)',
    'mdl.no_prior': 'no prior; default cycle {d} d',
    'mdl.default': 'default cycle {d} d',
    'mdl.cycles': "Users' current predicted cycle ({n} users, {w}-day bins)",
    'mdl.no_cycles': 'No user predictions yet',
    'mdl.no_cat_backtest': 'No backtest for this category', 'mdl.samples': '{n} predictions backtested',
    'mdl.users': 'users',
    'method.model': 'model', 'method.fixed_cycle': 'fixed cycle', 'method.last_interval': 'last interval',
    'method.user_mean': 'user mean', 'method.user_median': 'user median',
    'dlq.title': 'Dead letters', 'dlq.count': '{count} dead letters', 'dlq.empty': 'No dead letters',
    'dlq.drop_prompt': 'Reason for dropping:',
    'dlq.retried': 'Reminder #{id} queued again', 'dlq.dropped': 'Reminder #{id} dropped',
  },
};

const LANG_KEY = 'replenish.lang';
let lang = 'zh';
try {
  const saved = localStorage.getItem(LANG_KEY);
  if (saved in STRINGS) lang = saved;
} catch (e) { /* storage off: stay on the default */ }

export function getLang() { return lang; }

/** Switches the language (ignored unless zh or en) and remembers it. */
export function setLang(next) {
  if (!(next in STRINGS)) return;
  lang = next;
  try { localStorage.setItem(LANG_KEY, next); } catch (e) { /* not kept */ }
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
}

/** The string for `key`, with {name} placeholders filled from `vars`. */
export function t(key, vars) {
  let s = STRINGS[lang][key] ?? STRINGS.zh[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

/** A label from a family (state, kind, seg, method), falling back to the raw value. */
export function label(family, value) {
  const key = `${family}.${value}`;
  return STRINGS[lang][key] ?? value;
}

export const DASH = '—';

/** A fraction as a percentage with one decimal ("62.5%"), or a dash. */
export function pct(frac) {
  return typeof frac === 'number' && isFinite(frac) ? `${(frac * 100).toFixed(1)}%` : DASH;
}

/** A number with `digits` decimals, or a dash. */
export function num(x, digits = 1) {
  return typeof x === 'number' && isFinite(x) ? x.toFixed(digits) : DASH;
}

/** A fraction as signed percentage points with one decimal: "+3.2", "−1.0". */
export function signedPP(frac) {
  const v = frac * 100;
  return (v < 0 ? '\u2212' : '+') + Math.abs(v).toFixed(1);
}

/** "+3.2 pp (−1.0 … +7.4)" from {difference, low, high}, or a dash. */
export function uplift(u) {
  if (!u || typeof u.difference !== 'number') return DASH;
  return `${signedPP(u.difference)} pp (${signedPP(u.low)} \u2026 ${signedPP(u.high)})`;
}

/** A UTC timestamp "2024-03-01T02:00:00Z" shortened to "2024-03-01 02:00 UTC". */
export function utcShort(iso) {
  return typeof iso === 'string' && iso.length >= 16 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : DASH;
}

/** Adds days to a "YYYY-MM-DD" date (calendar arithmetic, no clock involved). */
export function addDays(date, days) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d) + days * 86400000).toISOString().slice(0, 10);
}
