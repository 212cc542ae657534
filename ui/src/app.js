// Trade Explorer: one page, hash routes, charts from Apache ECharts (inlined by ui/build.mjs).
//   #/                       sweeps with live progress and connected runners
//   #/sweep/ID               an optimization (table, scatter plots, heatmap, causality) or a
//                            variant test (equity, drawdown, metrics, trades, monthly, causality)
//   #/sweep/ID/run/N         one run: equity, drawdown, trades, the command that reproduces it
// Live mode reads the JSON API (docs/API.md); report mode (report.html) reads the same documents
// from <script id="snapshot"> and never touches the network.
(function () {
  'use strict';

  // ---------------------------------------------------------------- data ----
  const SNAP = (function () {
    const el = document.getElementById('snapshot');
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return { error: String(e) }; }
  })();

  const MAX_RUNS = 50000; // runs loaded into the optimization view (all pages up to this)

  async function getJson(path) {
    let res;
    try {
      res = await fetch(path, { cache: 'no-store' });
    } catch (e) { // no answer at all: the server has gone (or the network)
      Conn.failed();
      throw new Error('The server does not answer (' + (e.message || e) + ')');
    }
    Conn.answered();
    let body = null;
    try { body = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) throw new Error((body && body.error) || (res.status + ' ' + res.statusText));
    return body;
  }

  function notInReport(what) {
    return new Error(what + ' is not included in this report (it embeds the detailed curves of ' +
      'the best runs only); browse the live broker with `s1mple broker --http` for every run.');
  }

  // Live mode: does the server still answer? Two requests in a row without an answer (an
  // embedded sweep ended and its server exited, a broker was stopped, the network is down) and
  // the page says so (#server-gone), with the sweep's last known state, and points to
  // report.html instead of staying "active … Live"; the next answer takes the banner away.
  const Conn = {
    misses: 0,
    gone: false,
    lastSweep: null, // the sweep the page last showed (its state as of `lastSeen`)
    lastSeen: null,
    onGone: null, // the view's hook: redraw what would go stale (the sweep header's ETA)
    answered() {
      this.misses = 0;
      this.lastSeen = new Date();
      if (!this.gone) return;
      this.gone = false;
      setMode();
      const b = document.getElementById('server-gone');
      if (b) b.remove();
    },
    failed() {
      if (++this.misses < 2 || this.gone) return;
      this.gone = true;
      showServerGone();
      if (this.onGone) this.onGone();
    },
  };

  // The banner and the mode when the server has gone. Exposed for tests as a pure function.
  function serverGoneText(sweep, seen) {
    const when = seen ? ' (last answer at ' + seen.toISOString().slice(11, 19) + ' UTC)' : '';
    const finished = sweep && (sweep.state === 'done' ||
      (sweep.counts && sweep.counts.total > 0 && sweep.counts.pending + sweep.counts.leased === 0));
    const what = finished
      ? 'The sweep finished and its server has stopped' + when + '.'
      : 'The server is unreachable' + when + ': it has stopped (an embedded sweep ends its server ' +
        'when it ends, finished or interrupted) or the network is down. What is shown is as of then.';
    const where = sweep
      ? 'Its outputs are in report.html (opens offline), results.csv and the result JSON in the ' +
        'sweep\'s output folder, runs/' + sweep.id + '/ unless --out chose another; ' +
        '`s1mple results ' + sweep.id + ' --out DIR` writes them again from the store.'
      : 'Each sweep\'s outputs are in report.html (opens offline) in its output folder, ' +
        'runs/<sweep-id>/ unless --out chose another.';
    return { finished: !!finished, what, where, mode: finished ? 'Finished · server stopped' : 'Server unreachable' };
  }
  if (typeof window !== 'undefined') window.__s1mpleServerGoneText = serverGoneText;

  function showServerGone() {
    const t = serverGoneText(Conn.lastSweep, Conn.lastSeen);
    fill(document.getElementById('mode'), h('span', { class: 'dot gone' }), t.mode);
    let b = document.getElementById('server-gone');
    if (!b) {
      b = h('div', { id: 'server-gone', class: 'gone-banner', 'data-testid': 'server-gone', role: 'status' });
      view.parentNode.insertBefore(b, view);
    }
    fill(b, h('strong', null, t.what), ' ', t.where);
  }

  const Data = {
    sweeps() { return SNAP ? Promise.resolve(SNAP.sweeps) : getJson('api/sweeps'); },
    sweep(id) {
      if (SNAP) return SNAP.sweep && SNAP.sweep.id === id ? Promise.resolve(SNAP.sweep)
        : Promise.reject(notInReport('Sweep ' + id));
      return getJson('api/sweeps/' + encodeURIComponent(id));
    },
    async runs(id) {
      if (SNAP) return SNAP.runs.runs;
      let out = [], offset = 0;
      for (;;) {
        const page = await getJson('api/sweeps/' + encodeURIComponent(id) + '/runs?offset=' + offset + '&limit=5000');
        out = out.concat(page.runs);
        if (page.next_offset == null || out.length >= MAX_RUNS) return out;
        offset = page.next_offset;
      }
    },
    run(id, index) {
      if (SNAP) {
        const d = SNAP.details && SNAP.details[String(index)];
        return d ? Promise.resolve(d) : Promise.reject(notInReport('Run #' + index));
      }
      return getJson('api/sweeps/' + encodeURIComponent(id) + '/runs/' + index);
    },
    hasRun(index) { return !SNAP || !!(SNAP.details && SNAP.details[String(index)]); },
  };

  // ------------------------------------------------------------- helpers ----
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v == null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : v);
      }
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid == null || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }

  // Replaces el's children, skipping null/false and flattening arrays (replaceChildren would
  // turn a null into the text "null").
  function fill(el, ...kids) {
    el.replaceChildren(...kids.flat(Infinity).filter((k) => k != null && k !== false)
      .map((k) => (k instanceof Node ? k : document.createTextNode(String(k)))));
    return el;
  }

  const METRIC_LABELS = {
    sharpe_ratio: 'Sharpe', sortino_ratio: 'Sortino', total_return: 'Total return', cagr: 'CAGR',
    max_drawdown: 'Max drawdown', calmar: 'Calmar', win_rate: 'Win rate', profit_factor: 'Profit factor',
    total_trades: 'Trades', avg_trade_duration: 'Avg trade duration',
    opportunities_detected: 'Opportunities', opportunities_rejected: 'Rejected', threats_detected: 'Threats',
  };
  const label = (m) => METRIC_LABELS[m] || m;
  // Units of the engine's metrics (docs/METRICS.md): percentages and hours.
  const METRIC_UNITS = { total_return: '%', cagr: '%', max_drawdown: '%', win_rate: '%', avg_trade_duration: 'h' };
  const unitLabel = (m) => label(m) + (METRIC_UNITS[m] ? ' ' + METRIC_UNITS[m] : '');
  const METRIC_ORDER = ['sharpe_ratio', 'total_return', 'max_drawdown', 'win_rate', 'total_trades', 'profit_factor',
    'sortino_ratio', 'cagr', 'calmar', 'avg_trade_duration'];
  const byMetricOrder = (a, b) => ((METRIC_ORDER.indexOf(a) + 1 || 99) - (METRIC_ORDER.indexOf(b) + 1 || 99)) || a.localeCompare(b);
  // Metrics where a smaller value (or magnitude, for drawdowns) is better.
  const lowerIsBetter = (m) => /drawdown|duration/.test(m);
  const CAUSE_KEYS = ['opportunities_detected', 'opportunities_rejected', 'threats_detected'];
  const PALETTE = ['#2f6fed', '#e8743b', '#19a979', '#945ecf', '#d64545', '#13a4b4', '#c9a227',
    '#6c8893', '#ee6868', '#2f4b7c', '#a05195', '#7cb342'];

  function fmt(v, digits) {
    if (v == null) return '—';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v !== 'number') return String(v);
    if (!isFinite(v)) return v > 0 ? '∞' : '-∞';
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString('en-US');
    const a = Math.abs(v);
    const d = digits != null ? digits : a >= 1000 ? 0 : a >= 100 ? 1 : a >= 1 ? 2 : 4;
    return v.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: d });
  }
  const fmtPct = (v) => (v == null ? '—' : (v * 100).toFixed(2) + '%');
  function fmtDuration(s) {
    if (s == null) return '—';
    s = Math.round(s);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  const fmtTime = (iso) => (iso ? iso.replace('T', ' ').replace('Z', ' UTC') : '—');
  // A time as ms since the epoch or an ISO-8601 string -> "2021-01-06 04:00".
  const toMs = (t) => (typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : NaN);
  function fmtTs(t) {
    const ms = toMs(t);
    if (!isFinite(ms)) return t == null ? '—' : String(t);
    return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  }
  const metricOf = (run, m) => {
    if (run.metrics && m in run.metrics) return run.metrics[m];
    if (run.causality && m in run.causality) return run.causality[m];
    return undefined;
  };
  function cmp(a, b) {
    if (a === b) return 0;
    if (a == null) return 1;
    if (b == null) return -1;
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return String(a).localeCompare(String(b), 'en', { numeric: true });
  }
  function sortedDistinct(values) {
    const seen = new Map();
    for (const v of values) if (v !== undefined) seen.set(JSON.stringify(v), v);
    return [...seen.values()].sort(cmp);
  }

  // --------------------------------------------------------------- charts ----
  let charts = [];
  let timers = [];
  function chart(el, option) {
    const c = echarts.init(el, null, { renderer: 'canvas' });
    c.setOption(Object.assign({ animation: false, color: PALETTE, textStyle: { fontFamily: 'inherit' } }, option));
    charts.push(c);
    return c;
  }
  function resetView() {
    for (const c of charts) c.dispose();
    charts = [];
    for (const t of timers) clearInterval(t);
    timers = [];
  }
  window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
  const grid = { left: 64, right: 24, top: 36, bottom: 48, containLabel: false };
  const axisName = (name) => ({ name, nameLocation: 'middle', nameGap: 30, nameTextStyle: { color: '#6b7385' } });

  // ---------------------------------------------------------------- shell ----
  const view = document.getElementById('view');
  function crumbs(items) {
    const nav = document.getElementById('crumbs');
    fill(nav);
    items.forEach((it, i) => {
      if (i) nav.append(h('span', { class: 'sep' }, '/'));
      nav.append(it.href ? h('a', { href: it.href }, it.text) : h('span', null, it.text));
    });
  }
  function showError(e) {
    fill(view, h('div', { class: 'error', 'data-testid': 'error' }, String(e.message || e)));
  }
  function setMode() {
    const el = document.getElementById('mode');
    if (SNAP) fill(el, 'Report · generated ' + fmtTime(SNAP.generated) + ' · offline');
    else fill(el, h('span', { class: 'dot' }), 'Live');
  }

  let routeSeq = 0;
  async function route() {
    const seq = ++routeSeq;
    resetView();
    const hash = location.hash.replace(/^#/, '') || '/';
    let m;
    try {
      if ((m = hash.match(/^\/sweep\/([^/]+)\/run\/(\d+)$/))) await showRun(decodeURIComponent(m[1]), +m[2], seq);
      else if ((m = hash.match(/^\/sweep\/([^/]+)$/))) await showSweep(decodeURIComponent(m[1]), seq);
      else if (SNAP && SNAP.sweep_id) { location.replace('#/sweep/' + encodeURIComponent(SNAP.sweep_id)); }
      else await showSweeps(seq);
    } catch (e) {
      if (seq === routeSeq) showError(e);
    }
    window.scrollTo(0, 0);
  }
  const stale = (seq) => seq !== routeSeq;

  // --------------------------------------------------------------- sweeps ----
  function progressBar(c) {
    const t = Math.max(c.total, 1);
    return h('div', null,
      h('div', { class: 'progress', title: `${c.done} done, ${c.failed} failed, ${c.leased} running, ${c.pending} pending` },
        h('div', { class: 'ok', style: `width:${(100 * c.done) / t}%` }),
        h('div', { class: 'bad', style: `left:${(100 * c.done) / t}%;width:${(100 * c.failed) / t}%` }),
        h('div', { class: 'run', style: `left:${(100 * (c.done + c.failed)) / t}%;width:${(100 * c.leased) / t}%` })),
      h('div', { class: 'progress-label' }, `${fmt(c.done + c.failed)} / ${fmt(c.total)} · ${((100 * (c.done + c.failed)) / t).toFixed(1)}%`));
  }

  async function showSweeps(seq) {
    crumbs([{ text: 'Sweeps' }]);
    Conn.lastSweep = null;
    Conn.onGone = null;
    const tableCard = h('div', { class: 'card' });
    const runnersCard = h('div', { class: 'card', 'data-testid': 'runners' });
    fill(view, h('div', { class: 'title' }, h('h1', null, 'Sweeps'),
      h('span', { class: 'muted small' }, SNAP ? '' : 'refreshes every 2 s')), tableCard, runnersCard);
    async function refresh() {
      const data = await Data.sweeps();
      if (stale(seq)) return;
      renderSweepsTable(tableCard, data.sweeps);
      renderRunners(runnersCard, data.runners);
    }
    await refresh();
    if (!SNAP) timers.push(setInterval(() => refresh().catch(() => {}), 2000));
  }

  function renderSweepsTable(card, sweeps) {
    if (!sweeps.length) {
      fill(card, h('div', { class: 'empty', 'data-testid': 'no-sweeps' },
        'No sweeps yet. Start one with ', h('code', null, 's1mple optimize PLAN.yaml'), ' or ', h('code', null, 's1mple variant PLAN.yaml'), '.'));
      return;
    }
    const rows = sweeps.slice().reverse().map((s) => h('tr', {
      class: 'click', 'data-testid': 'sweep-row', 'data-id': s.id,
      onclick: () => { location.hash = '#/sweep/' + encodeURIComponent(s.id); },
    },
    h('td', { class: 'l' }, h('a', { href: '#/sweep/' + encodeURIComponent(s.id) }, s.name || s.id), h('div', { class: 'muted small mono' }, s.id)),
    h('td', { class: 'l' }, h('span', { class: 'pill kind' }, s.kind)),
    h('td', { class: 'l' }, h('span', { class: 'pill ' + s.state, 'data-testid': 'sweep-state' }, s.state)),
    h('td', { class: 'l', style: 'min-width:200px' }, progressBar(s.counts)),
    h('td', null, fmt(s.counts.done)),
    h('td', { class: s.counts.failed ? 'neg' : '' }, fmt(s.counts.failed)),
    h('td', null, fmt(s.counts.leased)),
    h('td', null, fmt(s.counts.pending)),
    h('td', { 'data-col': 'rate' }, s.rate_per_s ? fmt(s.rate_per_s, 1) + '/s' : '—'),
    h('td', { 'data-col': 'eta' }, s.eta_s === 0 ? '—' : fmtDuration(s.eta_s)),
    h('td', null, fmtTime(s.created))));
    fill(card, h('div', { class: 'scroll' }, h('table', { class: 'data', 'data-testid': 'sweeps-table' },
      h('thead', null, h('tr', null, ['Sweep', 'Kind', 'State', 'Progress'].map((t) => h('th', { class: 'l' }, t)),
        ['Done', 'Failed', 'Running', 'Pending', 'Rate', 'ETA', 'Created'].map((t) => h('th', null, t)))),
      h('tbody', null, rows))));
  }

  function renderRunners(card, runners) {
    if (runners == null) {
      fill(card, h('h2', null, 'Runners'), h('div', { class: 'muted' },
        SNAP ? 'Not recorded in a report.' : 'This server does not report runners (it reads the store only).'));
      return;
    }
    const slots = runners.reduce((a, r) => a + r.slots, 0);
    const busy = runners.reduce((a, r) => a + r.busy, 0);
    fill(card, h('div', { class: 'head' }, h('h2', null, 'Runners'),
      h('span', { class: 'sub', 'data-testid': 'runners-summary' }, `${runners.length} connected · ${busy} / ${slots} slots busy`)),
    runners.length ? h('table', { class: 'data' },
      h('thead', null, h('tr', null, h('th', { class: 'l' }, 'Runner'), h('th', null, 'Slots'), h('th', null, 'Busy'), h('th', null, 'Jobs done'), h('th', null, 'Last seen'))),
      h('tbody', null, runners.map((r) => h('tr', { 'data-testid': 'runner-row' }, h('td', { class: 'l mono' }, r.id), h('td', null, r.slots), h('td', null, r.busy), h('td', null, fmt(r.jobs_done)), h('td', null, fmtTime(r.last_seen))))))
      : h('div', { class: 'muted' }, 'No runner connected.'));
  }

  // ---------------------------------------------------------------- sweep ----
  async function showSweep(id, seq) {
    const sweep = await Data.sweep(id);
    if (stale(seq)) return;
    crumbs([{ text: 'Sweeps', href: SNAP ? null : '#/' }, { text: sweep.name || sweep.id }]);
    const header = h('div');
    const body = h('div', { 'data-testid': sweep.kind === 'variant' ? 'variant-view' : 'optimization-view' });
    fill(view, header, body);
    renderSweepHeader(header, sweep);
    Conn.lastSweep = sweep;
    Conn.onGone = () => {
      if (stale(seq) || !Conn.lastSweep) return;
      const last = Conn.lastSweep;
      const t = serverGoneText(last, Conn.lastSeen);
      renderSweepHeader(header, Object.assign({}, last, { state: t.finished ? 'done' : 'unreachable', rate_per_s: 0 }));
    };
    let runs = await Data.runs(id);
    if (stale(seq)) return;
    // The table opens sorted by the plan's primary metric, best first.
    const pm0 = (sweep.plan && sweep.plan.primary_metric) || 'sharpe_ratio';
    const state = { sort: sweep.kind === 'variant' ? null : pm0, dir: lowerIsBetter(pm0) ? 1 : -1, filter: '', page: 0 };
    const render = async (s, r) => {
      if (s.kind === 'variant') await renderVariant(body, s, r, seq);
      else renderOptimization(body, s, r, state);
    };
    await render(sweep, runs);
    // Live mode polls every sweep, finished ones too (one small document per 3 s), so the page
    // also notices when its server has gone (Conn).
    if (!SNAP) {
      let last = JSON.stringify(sweep.counts);
      timers.push(setInterval(async () => {
        try {
          const s = await Data.sweep(id);
          if (stale(seq)) return;
          Conn.lastSweep = s;
          renderSweepHeader(header, s);
          const now = JSON.stringify(s.counts);
          if (now !== last) {
            last = now;
            runs = await Data.runs(id);
            if (stale(seq)) return;
            charts.forEach((c) => c.dispose());
            charts = [];
            await render(s, runs);
          }
        } catch (e) { /* keep the last view; the next tick retries */ }
      }, 3000));
    }
  }

  function renderSweepHeader(el, s) {
    const c = s.counts;
    fill(el, 
      h('div', { class: 'title' }, h('h1', { 'data-testid': 'sweep-name' }, s.name || s.id),
        h('span', { class: 'pill kind' }, s.kind), h('span', { class: 'pill ' + s.state, 'data-testid': 'sweep-state' }, s.state)),
      h('div', { class: 'meta' }, h('span', { class: 'mono' }, s.id), h('span', null, 'created ' + fmtTime(s.created)),
        s.plan && s.plan.base_operation ? h('span', { class: 'mono' }, s.plan.base_operation) : null,
        s.plan && s.plan.description ? h('span', null, s.plan.description) : null),
      h('div', { class: 'kpis', 'data-testid': 'sweep-counts' },
        kpi('Runs', fmt(c.total)), kpi('Done', fmt(c.done), null, 'done'),
        kpi('Failed', fmt(c.failed), c.failed ? 'neg' : null, 'failed'),
        kpi('Running', fmt(c.leased)), kpi('Pending', fmt(c.pending)),
        kpi('Progress', ((100 * (c.done + c.failed)) / Math.max(1, c.total)).toFixed(1) + '%',
          null, 'progress', s.rate_per_s ? fmt(s.rate_per_s, 1) + ' runs/s · ETA ' + fmtDuration(s.eta_s) : null)));
  }

  function kpi(labelText, value, cls, testid, hint) {
    return h('div', { class: 'kpi', 'data-testid': testid ? 'kpi-' + testid : null },
      h('div', { class: 'label' }, labelText), h('div', { class: 'value ' + (cls || '') }, value),
      hint ? h('div', { class: 'hint' }, hint) : null);
  }

  function metricNames(runs, sweep) {
    const set = new Set();
    for (const r of runs) if (r.metrics) Object.keys(r.metrics).forEach((k) => set.add(k));
    const pm = sweep.plan && sweep.plan.primary_metric;
    const list = [...set].filter((k) => typeof runs.find((r) => r.metrics && r.metrics[k] != null)?.metrics[k] !== 'object');
    list.sort((a, b) => (a === pm ? -1 : b === pm ? 1 : 0) || byMetricOrder(a, b));
    return list;
  }

  function bestRun(runs, metric) {
    let best = null;
    for (const r of runs) {
      const v = metricOf(r, metric);
      if (typeof v !== 'number' || !isFinite(v)) continue;
      const score = lowerIsBetter(metric) ? -Math.abs(v) : v;
      if (!best || score > best.score) best = { run: r, score, value: v };
    }
    return best;
  }

  // The plan's constraints a run breaks, as text ("max_drawdown 31.2 > 25"); the rule of
  // optimization_result.json's best configuration (producer/analysis.h): a metric that is
  // missing fails its constraint, max_drawdown is compared by magnitude.
  function constraintFailures(run, constraints) {
    const out = [];
    for (const c of constraints || []) {
      let v = metricOf(run, c.metric);
      if (typeof v !== 'number' || !isFinite(v)) { out.push(c.metric + ' undefined'); continue; }
      if (c.absolute) v = Math.abs(v);
      if (c.min != null && v < c.min) out.push(`${c.metric} ${fmt(v)} < ${fmt(c.min)}`);
      if (c.max != null && v > c.max) out.push(`${c.metric} ${fmt(v)} > ${fmt(c.max)}`);
    }
    return out;
  }
  const planConstraints = (sweep) => (sweep.plan && sweep.plan.constraints) || [];
  function constraintText(c) {
    const m = c.absolute ? '|' + c.metric + '|' : c.metric;
    if (c.min != null && c.max != null) return `${fmt(c.min)} ≤ ${m} ≤ ${fmt(c.max)}`;
    return c.min != null ? `${m} ≥ ${fmt(c.min)}` : `${m} ≤ ${fmt(c.max)}`;
  }

  // The best configuration as optimization_result.json names it: among the runs that meet every
  // constraint, the best primary metric in the plan's direction, the lower index on a tie.
  function bestConfiguration(sweep, runs) {
    const pm = (sweep.plan && sweep.plan.primary_metric) || 'sharpe_ratio';
    const maximize = sweep.plan && sweep.plan.direction ? sweep.plan.direction === 'maximize' : !lowerIsBetter(pm);
    const constraints = planConstraints(sweep);
    let best = null;
    for (const r of runs) {
      if (!r.metrics || r.status !== 'done') continue;
      const v = metricOf(r, pm);
      if (typeof v !== 'number' || !isFinite(v)) continue;
      if (constraintFailures(r, constraints).length) continue;
      const score = maximize ? v : -v;
      if (!best || score > best.score || (score === best.score && r.index < best.run.index)) best = { run: r, score, value: v };
    }
    return best;
  }

  function goRun(sweepId, index) { location.hash = '#/sweep/' + encodeURIComponent(sweepId) + '/run/' + index; }

  // --------------------------------------------------------- optimization ----
  function renderOptimization(body, sweep, runs, state) {
    const params = sweep.params || [];
    const metrics = metricNames(runs, sweep);
    const pm = (sweep.plan && sweep.plan.primary_metric) || 'sharpe_ratio';
    const done = runs.filter((r) => r.metrics);
    const constraints = planConstraints(sweep);
    const best = bestConfiguration(sweep, runs);
    const eligible = done.filter((r) => !constraintFailures(r, constraints).length).length;
    const parts = [];

    parts.push(h('div', { class: 'kpis' },
      kpi('Best ' + label(pm) + (constraints.length ? ' within the constraints' : ''), best ? fmt(best.value) : '—', null, 'best',
        best ? h('a', { href: '#/sweep/' + encodeURIComponent(sweep.id) + '/run/' + best.run.index, id: 'best-run', 'data-testid': 'best-run-link', 'data-index': best.run.index },
          'run ' + sweep.id + '/' + best.run.index)
          : h('span', { id: 'best-run', 'data-testid': 'best-run-link' }, done.length ? 'no run meets the constraints' : 'no run finished yet')),
      kpi('Median ' + label(pm), fmt(median(done.map((r) => metricOf(r, pm))))),
      kpi('Varied parameters', String(params.length), null, 'params', params.join(', ') || 'none'),
      kpi('Configurations with trades', fmt(done.filter((r) => (metricOf(r, 'total_trades') || 0) > 0).length)),
      constraints.length ? kpi('Runs meeting the constraints', `${fmt(eligible)} of ${fmt(done.length)}`, null, 'constraints',
        h('span', { 'data-testid': 'constraints' }, constraints.map(constraintText).join(' · '))) : null));

    if (SNAP && done.length > Object.keys(SNAP.details || {}).length) {
      parts.push(h('div', { class: 'note' }, `This report embeds the equity curves and trades of the ${Object.keys(SNAP.details).length} best runs by ${label(pm)}; every run is in the table and the charts.`));
    }

    // Scatter plots.
    const rr = h('div', { class: 'chart', 'data-testid': 'chart-risk-return' });
    const sd = h('div', { class: 'chart', 'data-testid': 'chart-sharpe-dd' });
    parts.push(h('div', { class: 'grid2 row' },
      h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Risk vs return'), h('span', { class: 'sub' }, 'max drawdown vs total return · colour: ' + label(pm) + ' · click a point to open the run')), rr),
      h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Sharpe vs drawdown'), h('span', { class: 'sub' }, 'every completed configuration')), sd)));

    // Heatmap.
    const hmChart = h('div', { class: 'chart tall', 'data-testid': 'chart-heatmap' });
    const hmCard = h('div', { class: 'card', 'data-testid': 'heatmap' });
    parts.push(hmCard);

    // Causality.
    const causeChart = h('div', { class: 'chart', 'data-testid': 'chart-causality' });
    const reasonChart = h('div', { class: 'chart', 'data-testid': 'chart-rejections' });
    parts.push(h('div', { class: 'grid2 row', 'data-testid': 'causality' },
      h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Causality per configuration'), h('span', { class: 'sub' }, 'opportunities detected, rejected and threats triggered · best 30 by ' + label(pm))), causeChart),
      h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Rejection reasons per configuration'), h('span', { class: 'sub' }, 'why opportunities were not taken')), reasonChart)));

    // Table.
    const tableCard = h('div', { class: 'card' });
    parts.push(tableCard);
    if (sweep.failures && sweep.failures.length) parts.push(failuresCard(sweep));
    parts.push(planCard(sweep));
    fill(body, ...parts);

    const clickRun = (p) => { const idx = p.data && (p.data.index ?? p.data[3]); if (idx != null) goRun(sweep.id, idx); };
    scatter(rr, done, 'max_drawdown', 'total_return', pm, clickRun);
    scatter(sd, done, 'max_drawdown', 'sharpe_ratio', 'total_return', clickRun);
    renderHeatmapCard(hmCard, hmChart, sweep, done, params, metrics, state);
    const top = done.slice().sort((a, b) => cmp(scoreOf(b, pm), scoreOf(a, pm))).slice(0, 30);
    causalityBars(causeChart, top, (r) => '#' + r.index);
    reasonBars(reasonChart, top, (r) => '#' + r.index);
    renderRunsTable(tableCard, sweep, runs, params, metrics, state);
  }

  const scoreOf = (r, m) => { const v = metricOf(r, m); return typeof v === 'number' ? (lowerIsBetter(m) ? -Math.abs(v) : v) : null; };
  function median(vals) {
    const v = vals.filter((x) => typeof x === 'number' && isFinite(x)).sort((a, b) => a - b);
    if (!v.length) return null;
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  function scatter(el, runs, xm, ym, cm, onClick) {
    const pts = runs.map((r) => [metricOf(r, xm), metricOf(r, ym), metricOf(r, cm), r.index])
      .filter((p) => typeof p[0] === 'number' && typeof p[1] === 'number');
    if (!pts.length) { el.replaceWith(h('div', { class: 'empty' }, 'No completed runs with ' + label(xm) + ' and ' + label(ym) + ' yet.')); return; }
    const cv = pts.map((p) => p[2]).filter((v) => typeof v === 'number' && isFinite(v));
    const c = chart(el, {
      grid: Object.assign({}, grid, { right: 80 }),
      tooltip: { trigger: 'item', formatter: (p) => `run #${p.data[3]}<br>${label(xm)}: ${fmt(p.data[0])}<br>${label(ym)}: ${fmt(p.data[1])}<br>${label(cm)}: ${fmt(p.data[2])}` },
      xAxis: Object.assign({ type: 'value', scale: true }, axisName(unitLabel(xm))),
      yAxis: Object.assign({ type: 'value', scale: true }, axisName(unitLabel(ym)), { nameGap: 48 }),
      visualMap: cv.length ? { dimension: 2, min: Math.min(...cv), max: Math.max(...cv), right: 0, top: 'middle', itemHeight: 120,
        text: [label(cm), ''], textStyle: { fontSize: 11 }, calculable: true, inRange: { color: ['#d64545', '#f2c14e', '#1f9d6b'] } } : undefined,
      series: [{ type: 'scatter', symbolSize: pts.length > 2000 ? 4 : 8, data: pts, itemStyle: { opacity: 0.85 } }],
    });
    c.on('click', onClick);
  }

  function heatmapData(runs, xp, yp, metric, agg) {
    const xs = sortedDistinct(runs.map((r) => r.params[xp]));
    const ys = yp ? sortedDistinct(runs.map((r) => r.params[yp])) : [null];
    const key = (v) => JSON.stringify(v);
    const xi = new Map(xs.map((v, i) => [key(v), i]));
    const yi = new Map(ys.map((v, i) => [key(v), i]));
    const cells = new Map();
    for (const r of runs) {
      const v = metricOf(r, metric);
      if (typeof v !== 'number' || !isFinite(v)) continue;
      const x = xi.get(key(r.params[xp]));
      const y = yp ? yi.get(key(r.params[yp])) : 0;
      if (x == null || y == null) continue;
      const k = x + ',' + y;
      if (!cells.has(k)) cells.set(k, []);
      cells.get(k).push(v);
    }
    const data = [];
    for (const [k, vals] of cells) {
      const [x, y] = k.split(',').map(Number);
      let v;
      if (agg === 'max') v = Math.max(...vals);
      else if (agg === 'min') v = Math.min(...vals);
      else if (agg === 'count') v = vals.length;
      else v = vals.reduce((a, b) => a + b, 0) / vals.length;
      data.push([x, y, +v.toPrecision(6), vals.length]);
    }
    return { xs, ys, data };
  }

  function renderHeatmapCard(card, el, sweep, runs, params, metrics, state) {
    const pm = (sweep.plan && sweep.plan.primary_metric) || 'sharpe_ratio';
    if (!params.length) {
      fill(card, h('h2', null, 'Heatmap'), h('div', { class: 'empty' }, 'This sweep varies no parameter.'));
      return;
    }
    const hm = state.heatmap || (state.heatmap = { x: params[0], y: params[1] || '', metric: metrics.includes(pm) ? pm : metrics[0], agg: 'mean' });
    const allMetrics = metrics.concat(CAUSE_KEYS.filter((k) => runs.some((r) => r.causality && typeof r.causality[k] === 'number')));
    const select = (testid, value, options, onchange) => h('select', { 'data-testid': testid, onchange },
      options.map(([v, t]) => { const o = h('option', { value: v }, t); if (v === value) o.selected = true; return o; }));
    const draw = () => {
      const old = echarts.getInstanceByDom(el);
      if (old) { old.dispose(); charts = charts.filter((c) => c !== old); }
      const { xs, ys, data } = heatmapData(runs, hm.x, hm.y || null, hm.metric, hm.agg);
      const vals = data.map((d) => d[2]);
      el.style.height = Math.max(280, Math.min(560, 110 + 44 * ys.length)) + 'px';
      const good = lowerIsBetter(hm.metric) && hm.agg !== 'count' ? ['#1f9d6b', '#f2c14e', '#d64545'] : ['#d64545', '#f2c14e', '#1f9d6b'];
      const c = chart(el, {
        grid: { left: 110, right: 90, top: 20, bottom: 70 },
        tooltip: { formatter: (p) => `${hm.x} = ${fmt(xs[p.data[0]])}<br>${hm.y ? hm.y + ' = ' + fmt(ys[p.data[1]]) + '<br>' : ''}${hm.agg} ${label(hm.metric)}: <b>${fmt(p.data[2])}</b><br>${p.data[3]} run(s)` },
        xAxis: Object.assign({ type: 'category', data: xs.map((v) => fmt(v)), splitArea: { show: true } }, axisName(hm.x), { nameGap: 34 }),
        yAxis: Object.assign({ type: 'category', data: ys.map((v) => (v == null ? 'all' : fmt(v))), splitArea: { show: true } }, axisName(hm.y || ''), { nameGap: 80 }),
        visualMap: { dimension: 2, min: vals.length ? Math.min(...vals) : 0, max: vals.length ? Math.max(...vals) : 1, calculable: true, right: 0, top: 'middle',
          text: [label(hm.metric), ''], textStyle: { fontSize: 11 }, inRange: { color: good } },
        series: [{ type: 'heatmap', data, label: { show: xs.length * ys.length <= 150, formatter: (p) => fmt(p.data[2]), fontSize: 11 },
          emphasis: { itemStyle: { borderColor: '#16213a', borderWidth: 1 } } }],
      });
      el.dataset.cells = String(data.length);
      c.on('click', (p) => {
        // Open the best run of the clicked cell.
        const inCell = runs.filter((r) => JSON.stringify(r.params[hm.x]) === JSON.stringify(xs[p.data[0]]) &&
          (!hm.y || JSON.stringify(r.params[hm.y]) === JSON.stringify(ys[p.data[1]])));
        const b = bestRun(inCell, hm.metric);
        if (b) goRun(sweep.id, b.run.index);
      });
    };
    const paramOpts = params.map((p) => [p, p]);
    fill(card, 
      h('div', { class: 'head' }, h('h2', null, 'Heatmap'), h('span', { class: 'sub' }, 'any metric over any two varied parameters · click a cell to open its best run')),
      h('div', { class: 'toolbar' },
        h('label', { class: 'sel' }, 'X', select('heatmap-x', hm.x, paramOpts, (e) => { hm.x = e.target.value; draw(); })),
        h('label', { class: 'sel' }, 'Y', select('heatmap-y', hm.y, [['', '(none)']].concat(paramOpts), (e) => { hm.y = e.target.value; draw(); })),
        h('label', { class: 'sel' }, 'Metric', select('heatmap-metric', hm.metric, allMetrics.map((m) => [m, label(m)]), (e) => { hm.metric = e.target.value; draw(); })),
        h('label', { class: 'sel' }, 'Aggregate', select('heatmap-agg', hm.agg, [['mean', 'mean'], ['max', 'max'], ['min', 'min'], ['count', 'count']], (e) => { hm.agg = e.target.value; draw(); }))),
      el);
    draw();
  }

  function causalityBars(el, runs, name) {
    const withC = runs.filter((r) => r.causality);
    if (!withC.length) { el.replaceWith(h('div', { class: 'empty' }, 'No causality data.')); return; }
    chart(el, {
      grid: Object.assign({}, grid, { bottom: 60 }),
      legend: { top: 0 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: withC.map(name), axisLabel: { rotate: withC.length > 12 ? 45 : 0 } },
      yAxis: { type: 'value' },
      series: CAUSE_KEYS.map((k, i) => ({ name: label(k), type: 'bar', data: withC.map((r) => r.causality[k] ?? 0),
        itemStyle: { color: ['#2f6fed', '#e8743b', '#d64545'][i] } })),
    });
  }

  function reasonsOf(r) {
    const out = {};
    const list = (r.causality && r.causality.top_rejection_reasons) || [];
    for (const x of list) out[x.threat_type || x.reason || 'unknown'] = (out[x.threat_type || x.reason || 'unknown'] || 0) + (x.count || 0);
    return out;
  }

  function reasonBars(el, runs, name) {
    const reasons = new Set();
    runs.forEach((r) => Object.keys(reasonsOf(r)).forEach((k) => reasons.add(k)));
    if (!reasons.size) { el.replaceWith(h('div', { class: 'empty', 'data-testid': 'no-rejections' }, 'No opportunity was rejected in these runs.')); return; }
    chart(el, {
      grid: Object.assign({}, grid, { bottom: 60 }),
      legend: { top: 0, type: 'scroll' },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: runs.map(name), axisLabel: { rotate: runs.length > 12 ? 45 : 0 } },
      yAxis: { type: 'value' },
      series: [...reasons].sort().map((k) => ({ name: k, type: 'bar', stack: 'r', data: runs.map((r) => reasonsOf(r)[k] || 0) })),
    });
  }

  // Filter syntax: space-separated terms; "col>v", "col<v", "col>=v", "col<=v", "col=v" compare a
  // parameter or metric (by column name or label); anything else is a substring of the row.
  function parseFilter(text) {
    return text.trim().split(/\s+/).filter(Boolean).map((t) => {
      const m = t.match(/^([\w.[\]-]+)(>=|<=|!=|=|>|<)(.+)$/);
      return m ? { col: m[1], op: m[2], val: m[3] } : { text: t.toLowerCase() };
    });
  }
  function rowMatches(row, terms, cols) {
    for (const t of terms) {
      if (t.text != null) {
        if (!cols.some((c) => String(c.get(row) ?? '').toLowerCase().includes(t.text))) return false;
        continue;
      }
      const col = cols.find((c) => c.key === t.col || c.title === t.col || c.key.endsWith('.' + t.col));
      if (!col) return false;
      const v = col.get(row);
      const num = Number(t.val);
      const a = typeof v === 'number' && !isNaN(num) ? v : String(v);
      const b = typeof v === 'number' && !isNaN(num) ? num : t.val;
      const ok = t.op === '>' ? a > b : t.op === '<' ? a < b : t.op === '>=' ? a >= b : t.op === '<=' ? a <= b
        : t.op === '!=' ? String(v) !== t.val : String(v) === t.val || a === b;
      if (!ok) return false;
    }
    return true;
  }

  function renderRunsTable(card, sweep, runs, params, metrics, state) {
    const PAGE = 100;
    const cols = [{ key: '#', title: '#', get: (r) => r.index, cls: '' }]
      .concat(sweep.kind === 'variant' ? [{ key: 'name', title: 'variant', get: (r) => r.name, cls: 'l' }] : [])
      .concat(params.map((p) => ({ key: p, title: p, get: (r) => r.params[p], cls: 'grp-param' })))
      .concat(metrics.map((m) => ({ key: m, title: unitLabel(m), get: (r) => metricOf(r, m), cls: 'grp-metric', metric: true })))
      .concat(CAUSE_KEYS.map((k) => ({ key: k, title: label(k), get: (r) => (r.causality ? r.causality[k] : undefined), cls: 'grp-cause' })))
      // Whether each finished run meets the plan's constraints (filter e.g. constraints=meets).
      .concat(sweep.kind !== 'variant' && planConstraints(sweep).length ? [{ key: 'constraints', title: 'constraints', cls: 'l',
        get: (r) => (r.metrics ? (constraintFailures(r, planConstraints(sweep)).length ? 'breaks' : 'meets') : undefined) }] : [])
      .concat([{ key: 'status', title: 'status', get: (r) => r.status, cls: 'l' }]);
    const filterInput = h('input', { type: 'search', placeholder: 'filter: text, or e.g.  sharpe_ratio>1  min_gap_size=5  status=failed', value: state.filter, 'data-testid': 'runs-filter' });
    const count = h('span', { class: 'muted small', 'data-testid': 'runs-count' });
    const pager = h('span', { class: 'toolbar', 'data-testid': 'runs-pager', style: 'margin:0' });
    const tbody = h('tbody');
    const headRow = h('tr');
    const table = h('table', { class: 'data', 'data-testid': 'runs-table' }, h('thead', null, headRow), tbody);
    const draw = () => {
      const terms = parseFilter(state.filter);
      let rows = terms.length ? runs.filter((r) => rowMatches(r, terms, cols)) : runs.slice();
      const sc = cols.find((c) => c.key === state.sort);
      if (sc) rows.sort((a, b) => { const x = sc.get(a), y = sc.get(b); if (x == null && y == null) return 0; if (x == null) return 1; if (y == null) return -1; return state.dir * cmp(x, y); });
      const pages = Math.max(1, Math.ceil(rows.length / PAGE));
      state.page = Math.min(state.page, pages - 1);
      const slice = rows.slice(state.page * PAGE, state.page * PAGE + PAGE);
      fill(headRow, ...cols.map((c) => h('th', {
        class: ['sortable', c.cls, c.cls === 'l' ? 'l' : '', state.sort === c.key ? 'sorted' : ''].join(' '),
        'data-col': c.key, title: 'sort by ' + c.title,
        onclick: () => { if (state.sort === c.key) state.dir = -state.dir; else { state.sort = c.key; state.dir = c.metric && !lowerIsBetter(c.key) ? -1 : 1; } state.page = 0; draw(); },
      }, c.title, state.sort === c.key ? h('span', { class: 'arrow' }, state.dir > 0 ? '▲' : '▼') : null)));
      fill(tbody, ...slice.map((r) => h('tr', { class: 'click', 'data-index': r.index, 'data-testid': 'run-row', onclick: () => goRun(sweep.id, r.index) },
        cols.map((c) => {
          const v = c.get(r);
          if (c.key === 'status') return h('td', { class: 'l' }, h('span', { class: 'pill ' + r.status }, r.status), r.failure ? h('span', { class: 'muted small', title: r.failure }, ' ' + r.failure.slice(0, 40)) : null);
          if (c.key === 'constraints' && v === 'breaks') return h('td', { class: 'l neg', 'data-col': c.key, title: constraintFailures(r, planConstraints(sweep)).join(', ') }, v);
          return h('td', { class: c.cls === 'l' ? 'l' : '', 'data-col': c.key }, fmt(v));
        }))));
      if (!slice.length) fill(tbody, h('tr', null, h('td', { colspan: cols.length, class: 'l muted' }, 'No run matches the filter.')));
      count.textContent = rows.length ? `showing ${state.page * PAGE + 1}–${state.page * PAGE + slice.length} of ${fmt(rows.length)}` +
        (rows.length !== runs.length ? ` (filtered from ${fmt(runs.length)})` : '') : `0 of ${fmt(runs.length)}`;
      fill(pager, 
        h('button', { disabled: state.page === 0, onclick: () => { state.page--; draw(); }, 'data-testid': 'page-prev' }, '‹ prev'),
        h('span', { class: 'muted small' }, `page ${state.page + 1} / ${pages}`),
        h('button', { disabled: state.page >= pages - 1, onclick: () => { state.page++; draw(); }, 'data-testid': 'page-next' }, 'next ›'));
    };
    let debounce = null;
    filterInput.addEventListener('input', () => { clearTimeout(debounce); debounce = setTimeout(() => { state.filter = filterInput.value; state.page = 0; draw(); }, 120); });
    fill(card, h('div', { class: 'head' }, h('h2', null, 'All runs'), h('span', { class: 'sub' }, 'click a column to sort, a row to open the run')),
      h('div', { class: 'toolbar' }, filterInput, count, h('span', { style: 'flex:1' }), pager), h('div', { class: 'scroll' }, table));
    draw();
  }

  function failuresCard(sweep) {
    return h('div', { class: 'card', 'data-testid': 'failures' },
      h('div', { class: 'head' }, h('h2', null, 'Failed runs'), h('span', { class: 'sub' }, `${sweep.counts.failed} failed; reasons of the first ${sweep.failures.length}`)),
      h('div', { class: 'scroll', style: 'max-height:260px' }, h('table', { class: 'data' },
        h('thead', null, h('tr', null, h('th', null, '#'), h('th', null, 'Attempts'), h('th', { class: 'l' }, 'Reason'))),
        h('tbody', null, sweep.failures.map((f) => h('tr', { class: 'click', onclick: () => goRun(sweep.id, f.index) },
          h('td', null, f.index), h('td', null, f.attempts), h('td', { class: 'l mono', style: 'white-space:normal' }, f.reason)))))));
  }

  function planCard(sweep) {
    const fixed = sweep.fixed_params || {};
    return h('div', { class: 'card' }, h('details', null, h('summary', null, 'Plan and fixed parameters'),
      Object.keys(fixed).length ? h('dl', { class: 'kv', style: 'margin:12px 0' }, Object.entries(fixed).map(([k, v]) => [h('dt', null, k), h('dd', null, fmt(v))])) : null,
      h('pre', { class: 'plan', 'data-testid': 'plan-text' }, (sweep.plan && sweep.plan.text) || '(no plan text)')));
  }

  // -------------------------------------------------------------- variant ----
  async function renderVariant(body, sweep, runs, seq) {
    const names = (r) => r.name || 'variant #' + r.index;
    const done = runs.filter((r) => r.metrics);
    const details = [];
    for (const r of done) {
      if (!Data.hasRun(r.index)) continue;
      try { details.push(await Data.run(sweep.id, r.index)); } catch (e) { /* listed in the table anyway */ }
      if (stale(seq)) return;
    }
    const pm = (sweep.plan && sweep.plan.primary_metric) || 'sharpe_ratio';
    const metrics = (sweep.plan && sweep.plan.comparison_metrics && sweep.plan.comparison_metrics.length)
      ? sweep.plan.comparison_metrics.filter((m) => done.some((r) => metricOf(r, m) !== undefined)) : metricNames(done, sweep);
    const best = bestRun(done, 'sharpe_ratio');

    const eq = h('div', { class: 'chart tall', 'data-testid': 'chart-equity' });
    const dd = h('div', { class: 'chart', 'data-testid': 'chart-drawdown' });
    const hist = h('div', { class: 'chart', 'data-testid': 'chart-trade-dist' });
    const monthly = h('div', { class: 'chart', 'data-testid': 'chart-monthly' });
    const cause = h('div', { class: 'chart', 'data-testid': 'chart-variant-causality' });
    const reasons = h('div', { class: 'chart', 'data-testid': 'chart-variant-reasons' });

    fill(body, 
      h('div', { class: 'kpis' },
        kpi('Variants', String(runs.length)),
        kpi('Best Sharpe', best ? names(best.run) : '—', null, 'best-variant', best ? 'Sharpe ' + fmt(best.value) : null),
        ...comparative(done)),
      h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Comparative metrics'), h('span', { class: 'sub' }, 'best value per metric in green · click a variant to open its run')),
        variantMetricsTable(sweep, runs, metrics)),
      h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Equity curves'), h('span', { class: 'sub' }, 'all variants on the same market period')), eq),
      h('div', { class: 'grid2 row' },
        h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Drawdowns')), dd),
        h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Trade distribution'), h('span', { class: 'sub' }, 'trade P&L histogram')), hist)),
      h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Monthly returns'), h('span', { class: 'sub' }, 'from the equity curve, per calendar month (UTC)')), monthly),
      h('div', { class: 'grid2 row', 'data-testid': 'causality' },
        h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Causal breakdown'), h('span', { class: 'sub' }, 'opportunities, rejections and threats per variant')), cause),
        h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Rejection reasons')), reasons)),
      sweep.failures && sweep.failures.length ? failuresCard(sweep) : null,
      planCard(sweep));

    const series = details.map((d) => ({ name: names(d), equity: d.equity || [], drawdown: d.drawdown || [], trades: d.trades || [] }));
    if (!series.length) {
      [eq, dd, hist, monthly].forEach((el) => el.replaceWith(h('div', { class: 'empty' }, 'No completed variant yet.')));
    } else {
      lineChart(eq, series.map((s) => ({ name: s.name, data: s.equity })), (v) => fmt(v, 0));
      lineChart(dd, series.map((s) => ({ name: s.name, data: s.drawdown.map((p) => [p[0], p[1] * 100]) })), (v) => v.toFixed(1) + '%', true);
      tradeHistogram(hist, series);
      monthlyHeatmap(monthly, series);
    }
    causalityBars(cause, done, names);
    reasonBars(reasons, done, names);
  }

  function comparative(done) {
    const pick = (m) => { const b = bestRun(done, m); return b ? b.run.name || '#' + b.run.index : '—'; };
    const defensive = done.filter((r) => r.causality && r.causality.opportunities_detected > 0)
      .map((r) => ({ r, v: r.causality.opportunities_rejected / r.causality.opportunities_detected }))
      .sort((a, b) => b.v - a.v)[0];
    return [
      kpi('Best return', pick('total_return'), null, 'best-return'),
      kpi('Lowest drawdown', pick('max_drawdown'), null, 'lowest-dd'),
      kpi('Most trades', pick('total_trades'), null, 'most-trades'),
      kpi('Most defensive', defensive ? defensive.r.name || '#' + defensive.r.index : '—', null, 'most-defensive',
        defensive ? fmtPct(defensive.v) + ' of opportunities rejected' : null),
    ];
  }

  function variantMetricsTable(sweep, runs, metrics) {
    const cols = metrics.concat(CAUSE_KEYS);
    const bestIdx = {};
    for (const m of cols) { const b = bestRun(runs.filter((r) => r.metrics), m); if (b && !CAUSE_KEYS.includes(m)) bestIdx[m] = b.run.index; }
    return h('div', { class: 'scroll' }, h('table', { class: 'data', 'data-testid': 'variant-metrics' },
      h('thead', null, h('tr', null, h('th', { class: 'l' }, 'Variant'), cols.map((m) => h('th', { class: CAUSE_KEYS.includes(m) ? 'grp-cause' : 'grp-metric' }, unitLabel(m))), h('th', { class: 'l' }, 'Status'))),
      h('tbody', null, runs.map((r, i) => h('tr', { class: 'click', 'data-index': r.index, 'data-testid': 'variant-row', onclick: () => goRun(sweep.id, r.index) },
        h('td', { class: 'l' }, h('span', { class: 'legend-dot', style: 'background:' + PALETTE[i % PALETTE.length] }), r.name || '#' + r.index),
        cols.map((m) => h('td', { class: bestIdx[m] === r.index ? 'best' : '', 'data-col': m }, fmt(metricOf(r, m)))),
        h('td', { class: 'l' }, h('span', { class: 'pill ' + r.status }, r.status)))))));
  }

  function lineChart(el, series, fmtY, area) {
    chart(el, {
      grid: Object.assign({}, grid, { top: 40, left: 80 }),
      legend: { top: 0, type: 'scroll' },
      tooltip: { trigger: 'axis', valueFormatter: (v) => (typeof v === 'number' ? fmtY(v) : v) },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', scale: !area, axisLabel: { formatter: (v) => fmtY(v) } },
      dataZoom: [{ type: 'inside' }],
      series: series.map((s) => ({ name: s.name, type: 'line', showSymbol: false, data: s.data, lineStyle: { width: 1.6 },
        areaStyle: area ? { opacity: 0.08 } : undefined })),
    });
  }

  function tradeHistogram(el, series) {
    const all = series.flatMap((s) => s.trades.map((t) => t.pnl)).filter((v) => typeof v === 'number' && isFinite(v));
    if (!all.length) { el.replaceWith(h('div', { class: 'empty' }, 'No trades.')); return; }
    const lo = Math.min(...all), hi = Math.max(...all);
    const n = 20, w = (hi - lo) / n || 1;
    const labels = Array.from({ length: n }, (_, i) => fmt(lo + w * (i + 0.5), 0));
    chart(el, {
      grid: Object.assign({}, grid, { top: 40 }),
      legend: { top: 0, type: 'scroll' },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: Object.assign({ type: 'category', data: labels }, axisName('trade P&L (bin centre)')),
      yAxis: { type: 'value', name: 'trades' },
      series: series.map((s) => {
        const bins = new Array(n).fill(0);
        for (const t of s.trades) { if (typeof t.pnl !== 'number') continue; bins[Math.min(n - 1, Math.floor((t.pnl - lo) / w))]++; }
        return { name: s.name, type: 'bar', data: bins, barGap: '5%' };
      }),
    });
  }

  // Calendar months (UTC, "YYYY-MM") from the first to the last point of any curve.
  function monthRange(curves) {
    let lo = Infinity, hi = -Infinity;
    for (const c of curves) for (const [ts] of c) { if (typeof ts === 'number') { lo = Math.min(lo, ts); hi = Math.max(hi, ts); } }
    const out = [];
    if (!isFinite(lo)) return out;
    const d = new Date(lo);
    let y = d.getUTCFullYear(), m = d.getUTCMonth();
    const endKey = new Date(hi).toISOString().slice(0, 7);
    for (;;) {
      const key = y + '-' + String(m + 1).padStart(2, '0');
      out.push(key);
      if (key >= endKey) return out;
      if (++m === 12) { m = 0; y++; }
    }
  }

  // Return of each month: equity at the month's last point over the previous month's (the first
  // month against the curve's first point). A month without a point carries the last value on
  // (a flat month returns 0); months before the curve starts are left out.
  function monthlyReturns(equity, months) {
    const last = new Map();
    let first = null;
    for (const [ts, v] of equity) {
      if (typeof ts !== 'number' || typeof v !== 'number') continue;
      if (first == null) first = v;
      last.set(new Date(ts).toISOString().slice(0, 7), v);
    }
    const out = new Map();
    let prev = first, started = false;
    for (const m of months) {
      if (last.has(m)) started = true;
      if (!started) continue;
      const v = last.has(m) ? last.get(m) : prev;
      out.set(m, prev ? v / prev - 1 : 0);
      prev = v;
    }
    return out;
  }

  function monthlyHeatmap(el, series) {
    const months = monthRange(series.map((s) => s.equity));
    const per = series.map((s) => monthlyReturns(s.equity, months));
    if (!months.length) { el.replaceWith(h('div', { class: 'empty' }, 'No equity data.')); return; }
    const data = [];
    per.forEach((m, y) => months.forEach((mon, x) => { if (m.has(mon)) data.push([x, y, +(m.get(mon) * 100).toFixed(2)]); }));
    const lim = Math.max(0.01, ...data.map((d) => Math.abs(d[2])));
    el.style.height = Math.max(200, 70 + 34 * series.length) + 'px';
    chart(el, {
      grid: { left: 140, right: 90, top: 10, bottom: 50 },
      tooltip: { formatter: (p) => `${series[p.data[1]].name} · ${months[p.data[0]]}: <b>${p.data[2].toFixed(2)}%</b>` },
      xAxis: { type: 'category', data: months, splitArea: { show: true } },
      yAxis: { type: 'category', data: series.map((s) => s.name), splitArea: { show: true } },
      visualMap: { min: -lim, max: lim, calculable: true, right: 0, top: 'middle', text: ['%', ''], inRange: { color: ['#d64545', '#f7f7f7', '#1f9d6b'] } },
      series: [{ type: 'heatmap', data, label: { show: months.length <= 24, formatter: (p) => p.data[2].toFixed(1), fontSize: 10 } }],
    });
  }

  // ------------------------------------------------------------------ run ----
  async function showRun(id, index, seq) {
    const [sweep, run] = await Promise.all([Data.sweep(id), Data.run(id, index)]);
    if (stale(seq)) return;
    crumbs([{ text: 'Sweeps', href: SNAP ? null : '#/' }, { text: sweep.name || id, href: '#/sweep/' + encodeURIComponent(id) },
      { text: 'run #' + index + (run.name ? ' · ' + run.name : '') }]);
    const metrics = run.metrics || {};
    const keys = Object.keys(metrics).filter((k) => typeof metrics[k] !== 'object' || metrics[k] == null).sort(byMetricOrder);
    const allParams = Object.assign({}, sweep.fixed_params || {}, run.params || {});
    const eq = h('div', { class: 'chart tall', 'data-testid': 'chart-run-equity' });
    const dd = h('div', { class: 'chart short', 'data-testid': 'chart-run-drawdown' });
    const copyBtn = h('button', { 'data-testid': 'copy-reproduce', onclick: () => {
      navigator.clipboard && navigator.clipboard.writeText(run.reproduce).then(() => { copyBtn.textContent = 'copied'; }, () => {});
    } }, 'copy');
    fill(view, 
      h('div', { class: 'title' }, h('h1', { 'data-testid': 'run-title' }, 'Run #' + index + (run.name ? ' · ' + run.name : '')),
        h('span', { class: 'pill ' + run.status, 'data-testid': 'run-status' }, run.status),
        h('span', { class: 'muted' }, 'of ', h('a', { href: '#/sweep/' + encodeURIComponent(id) }, sweep.name || id))),
      h('div', { class: 'meta' }, run.period ? h('span', null, (run.period.start || '') + ' → ' + (run.period.end || '')) : null,
        run.bars != null ? h('span', null, fmt(run.bars) + ' bars') : null, h('span', null, run.attempts + ' attempt(s)')),
      run.failure ? h('div', { class: 'error', 'data-testid': 'run-failure' }, 'Failed: ' + run.failure,
        (run.history || []).length ? h('ul', null, run.history.map((x) => h('li', null, x))) : null) : null,
      run.error ? h('div', { class: 'error' }, run.error) : null,
      h('div', { class: 'card' }, h('h2', null, 'Reproduce this run'),
        h('div', { class: 'cmd' }, h('code', { 'data-testid': 'reproduce' }, run.reproduce), copyBtn),
        h('div', { class: 'muted small', style: 'margin-top:6px' }, 'Writes the stripped operation.yaml and strategy_blueprint.yaml of this run and runs it alone; the metrics are identical.')),
      h('div', { class: 'kpis', 'data-testid': 'run-metrics' }, keys.map((k) => h('div', { class: 'kpi', 'data-metric': k },
        h('div', { class: 'label' }, unitLabel(k)), h('div', { class: 'value', 'data-testid': 'metric-' + k }, fmt(metrics[k]))))),
      h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Equity'), h('span', { class: 'sub' }, (run.equity || []).length + ' points')), eq),
      h('div', { class: 'card' }, h('h2', null, 'Drawdown'), dd),
      h('div', { class: 'grid2 row' },
        h('div', { class: 'card' }, h('h2', null, 'Parameters'), Object.keys(allParams).length
          ? h('dl', { class: 'kv', 'data-testid': 'run-params' }, Object.entries(allParams).map(([k, v]) => [h('dt', null, k), h('dd', { 'data-param': k }, fmt(v))]))
          : h('div', { class: 'muted' }, 'The base configuration (no overrides).')),
        h('div', { class: 'card', 'data-testid': 'run-causality' }, h('h2', null, 'Causality'), causalityList(run.causality))),
      tradesCard(run));
    if ((run.equity || []).length) {
      lineChart(eq, [{ name: 'equity', data: run.equity }], (v) => fmt(v, 0));
      lineChart(dd, [{ name: 'drawdown', data: (run.drawdown || []).map((p) => [p[0], p[1] * 100]) }], (v) => v.toFixed(1) + '%', true);
      markTrades(run);
    } else {
      eq.replaceWith(h('div', { class: 'empty' }, 'No equity curve (the run has no result).'));
      dd.remove();
    }
  }

  function markTrades(run) {
    // Trade exits as points on the equity curve: green wins, red losses.
    const c = charts[0];
    if (!c || !(run.trades || []).length || run.trades.length > 2000) return;
    const eqs = run.equity;
    const at = (ts) => { let lo = 0, hi = eqs.length - 1; while (lo < hi) { const mid = (lo + hi) >> 1; if (eqs[mid][0] < ts) lo = mid + 1; else hi = mid; } return eqs[lo][1]; };
    const pts = run.trades.filter((t) => isFinite(toMs(t.exit_time))).map((t) => ({ value: [toMs(t.exit_time), at(toMs(t.exit_time))], itemStyle: { color: t.pnl >= 0 ? '#1f9d6b' : '#d64545' } }));
    c.setOption({ series: [{}, { name: 'trade exits', type: 'scatter', symbolSize: 5, data: pts, z: 3 }] });
  }

  function causalityList(c) {
    if (!c) return h('div', { class: 'muted' }, 'No causality data.');
    const reasons = c.top_rejection_reasons || [];
    return h('div', null,
      h('dl', { class: 'kv' }, Object.entries(c).filter(([, v]) => typeof v !== 'object').map(([k, v]) => [h('dt', null, label(k)), h('dd', { 'data-cause': k }, fmt(v))])),
      reasons.length ? h('table', { class: 'data', style: 'margin-top:10px' },
        h('thead', null, h('tr', null, h('th', { class: 'l' }, 'Rejection reason'), h('th', null, 'Count'))),
        h('tbody', null, reasons.map((r) => h('tr', null, h('td', { class: 'l mono' }, r.threat_type || r.reason), h('td', null, fmt(r.count))))))
        : h('div', { class: 'muted small', style: 'margin-top:8px' }, 'No opportunity was rejected.'));
  }

  function tradesCard(run) {
    const trades = run.trades || [];
    const shown = trades.slice(0, 1000);
    const wins = trades.filter((t) => t.pnl > 0).length;
    const cols = ['entry_time', 'exit_time', 'side', 'entry_price', 'exit_price', 'size', 'pnl', 'opportunity_id'];
    const extra = trades.length ? Object.keys(trades[0]).filter((k) => !cols.includes(k) && typeof trades[0][k] !== 'object') : [];
    const all = cols.concat(extra);
    return h('div', { class: 'card' },
      h('div', { class: 'head' }, h('h2', null, 'Trades'), h('span', { class: 'sub', 'data-testid': 'trades-count' },
        `${trades.length} trades · ${wins} winners` + (trades.length > shown.length ? ` · first ${shown.length} shown` : ''))),
      trades.length ? h('div', { class: 'scroll', style: 'max-height:420px' }, h('table', { class: 'data', 'data-testid': 'trades-table' },
        h('thead', null, h('tr', null, all.map((k) => h('th', { class: k === 'side' || k === 'opportunity_id' ? 'l' : '' }, k.replace(/_/g, ' '))))),
        h('tbody', null, shown.map((t) => h('tr', null, all.map((k) => {
          const v = t[k];
          const text = /time/.test(k) ? fmtTs(v) : fmt(v);
          return h('td', { class: (k === 'side' || k === 'opportunity_id' ? 'l mono' : '') + (k === 'pnl' ? (v >= 0 ? ' pos' : ' neg') : '') }, text);
        }))))))
        : h('div', { class: 'muted' }, 'No trades.'));
  }

  // ------------------------------------------------------------------ go ----
  setMode();
  if (SNAP && SNAP.error) showError(new Error('The embedded snapshot is damaged: ' + SNAP.error));
  else {
    window.addEventListener('hashchange', route);
    route();
  }
})();
