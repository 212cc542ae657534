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

  const MAX_RUNS = 200000; // runs loaded into the optimization view (all pages up to this)

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

  // The rows of a /table document (docs/API.md): each column holds one value per row; rows that
  // do not fit the columns come whole in `rows`. Exposed for tests.
  function tableRows(t) {
    const c = t.columns, n = t.count, runs = new Array(n);
    const noM = new Set(t.metrics_null), noC = new Set(t.causality_null);
    const CK = ['opportunities_detected', 'opportunities_rejected', 'threats_detected', 'top_rejection_reasons'];
    for (let i = 0; i < n; i++) {
      const whole = t.rows[i];
      if (whole) { runs[i] = whole; continue; }
      const params = {};
      for (let k = 0; k < t.params.length; k++) params[t.params[k]] = c.params[k][i];
      let metrics = null, causality = null;
      if (!noM.has(i)) { metrics = {}; for (let k = 0; k < t.metrics.length; k++) metrics[t.metrics[k]] = c.metrics[k][i]; }
      if (!noC.has(i)) { causality = {}; for (const k of CK) causality[k] = c[k][i]; }
      runs[i] = { attempts: c.attempts[i], causality, failure: c.failure[i], index: c.index[i], metrics, name: c.name[i], params, status: c.status[i] };
    }
    return { runs, next_offset: t.next_offset, total: t.total };
  }
  if (typeof window !== 'undefined') window.__s1mpleTableRows = tableRows;

  const Data = {
    sweeps() { return SNAP ? Promise.resolve(SNAP.sweeps) : getJson('api/sweeps'); },
    sweep(id) {
      if (SNAP) return SNAP.sweep && SNAP.sweep.id === id ? Promise.resolve(SNAP.sweep)
        : Promise.reject(notInReport('Sweep ' + id));
      return getJson('api/sweeps/' + encodeURIComponent(id));
    },
    // Every run in index order. With `cache` (kept by the caller between refreshes), a page
    // whose runs had all finished is not fetched again: a finished run never changes, so a
    // refresh of a long sweep reads only the pages that still hold pending or running runs.
    // Live pages come from /table (docs/API.md): the rows in columns, about half the bytes of
    // /runs, rebuilt here into the same row objects. The first page is asked at once and the
    // others as soon as the sweep's size is known (`total`: a number, or a promise of one such
    // as the sweep document's counts.total), one page ahead of the one being read, so that
    // the page reads one while the server writes the next.
    async runs(id, cache, total) {
      if (SNAP) return SNAP.runs.runs;
      const PAGE = 25000;
      const pages = cache ? cache.pages || (cache.pages = []) : [];
      const inflight = [];
      const want = (i) => {
        if (inflight[i] || (pages[i] && pages[i].final)) return;
        inflight[i] = getJson('api/sweeps/' + encodeURIComponent(id) + '/table?offset=' + i * PAGE + '&limit=' + PAGE).then((doc) => {
          const got = tableRows(doc);
          return { runs: got.runs, next: got.next_offset, final: got.runs.length === PAGE && got.runs.every((r) => r.status === 'done' || r.status === 'failed') };
        });
        inflight[i].catch(() => {}); // awaited below; a page not reached after an error is dropped
      };
      want(0);
      let known = 0;
      try { known = Math.min(MAX_RUNS, Number(await total) || 0); } catch (e) { known = 0; }
      let out = [];
      for (let i = 0; ; i++) {
        want(i);
        if ((i + 1) * PAGE < known) want(i + 1);
        if (inflight[i]) pages[i] = await inflight[i];
        const page = pages[i];
        out = out.concat(page.runs);
        if (page.next == null || out.length >= MAX_RUNS) return out;
      }
    },
    run(id, index) {
      if (SNAP) {
        const d = SNAP.details && SNAP.details[String(index)];
        if (d) return Promise.resolve(d);
        // A run whose curves this report does not embed opens from its table row: metrics,
        // parameters, causality and the command that reproduces it in full.
        const row = SNAP.sweep && SNAP.sweep.id === id && (SNAP.runs.runs || []).find((r) => r.index === index);
        if (!row) return Promise.reject(notInReport('Run #' + index));
        return Promise.resolve(Object.assign({}, row, {
          params: Object.assign({}, (SNAP.sweep && SNAP.sweep.fixed_params) || {}, row.params || {}),
          summary_only: true, reproduce: reproduceCommand(id, index) }));
      }
      return getJson('api/sweeps/' + encodeURIComponent(id) + '/runs/' + index);
    },
    hasRun(index) { return !SNAP || !!(SNAP.details && SNAP.details[String(index)]); },
  };

  // ------------------------------------------------------------- helpers ----
  // The command that reproduces run INDEX of sweep ID (the API's `reproduce`, docs/API.md).
  function reproduceCommand(id, index) {
    const dir = 'runs/' + id + '-' + index;
    return `s1mple job ${id}/${index} --export ${dir} && s1mple run ${dir}/operation.yaml`;
  }

  // Short column names for dotted parameter names: the shortest dotted suffix that is unique
  // among `names` ("trend_follower.fast_period" -> "fast_period"); the full name goes on hover.
  function shortNames(names) {
    const out = new Map();
    const parts = names.map((n) => n.split('.'));
    names.forEach((n, i) => {
      for (let k = 1; k <= parts[i].length; k++) {
        const tail = parts[i].slice(-k).join('.');
        if (names.filter((o, j) => j !== i && (o === tail || o.endsWith('.' + tail))).length === 0) { out.set(n, tail); return; }
      }
      out.set(n, n);
    });
    return out;
  }

  // Runs `fn` on Enter or Space: rows and sortable headers are reachable with Tab.
  const onActivate = (fn) => (e) => { if (e.target === e.currentTarget && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); fn(); } };

  function setTitle(...parts) { document.title = parts.filter(Boolean).concat(['Trade Explorer']).join(' · '); }
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
  // Colour scales (colour-blind safe): ColorBrewer RdBu for metrics whose sign matters, centred
  // on zero; viridis for the rest, its bright end on the better side.
  const DIVERGING = ['#b2182b', '#ef8a62', '#fddbc7', '#f7f7f7', '#d1e5f0', '#67a9cf', '#2166ac'];
  const SEQUENTIAL = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];
  const signedMetric = (m) => /sharpe|sortino|return|cagr|calmar|pnl/.test(m);
  // Decimals that tell the ends of [lo, hi] apart: 0.45 is not "0", 15.52..15.92 not "16…16".
  function legendPrecision(lo, hi) {
    const span = Math.abs(hi - lo) || Math.abs(hi) || 1;
    return Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(span))));
  }
  // A continuous visualMap for `values` of `metric` (agg 'count' is never diverging).
  function colourScale(metric, values, agg) {
    // A loop, not Math.min(...v): 100,000 arguments overflow the call stack.
    let lo = Infinity, hi = -Infinity;
    for (const x of values) if (typeof x === 'number' && isFinite(x)) { if (x < lo) lo = x; if (x > hi) hi = x; }
    if (lo > hi) { lo = 0; hi = 1; }
    let colors;
    if (agg !== 'count' && signedMetric(metric)) {
      const lim = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
      lo = -lim; hi = lim; colors = DIVERGING;
    } else {
      colors = agg !== 'count' && lowerIsBetter(metric) ? SEQUENTIAL.slice().reverse() : SEQUENTIAL;
      if (lo === hi) { lo -= 0.5; hi += 0.5; }
    }
    return { min: lo, max: hi, precision: legendPrecision(lo, hi), inRange: { color: colors }, calculable: true };
  }
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
  // Every chart is an image to assistive technology, with a text alternative: `alt`, or one
  // made from its series (names and point counts).
  function chart(el, option, alt) {
    el.setAttribute('role', 'img');
    if (alt || !el.hasAttribute('aria-label')) {
      const series = [].concat(option.series || []);
      el.setAttribute('aria-label', alt || ('chart: ' + series.map((s) => (s.name ? s.name + ', ' : '') + (s.data || []).length + ' ' + (s.type || '') + ' points').join('; ')));
    }
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
    setTitle('Sweeps');
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
      class: 'click', 'data-testid': 'sweep-row', 'data-id': s.id, tabindex: 0, 'aria-label': 'sweep ' + (s.name || s.id),
      onclick: () => { location.hash = '#/sweep/' + encodeURIComponent(s.id); },
      onkeydown: onActivate(() => { location.hash = '#/sweep/' + encodeURIComponent(s.id); }),
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
    // The runs are asked for together with the sweep document (docs/API.md: the server builds
    // the columns both need once).
    const cache = {};
    const sweepP = Data.sweep(id);
    const runsP = Data.runs(id, cache, sweepP.then((s) => s.counts && s.counts.total));
    runsP.catch(() => {}); // an error shows through the await below (or the sweep's own)
    const sweep = await sweepP;
    if (stale(seq)) return;
    crumbs([{ text: 'Sweeps', href: SNAP ? null : '#/' }, { text: sweep.name || sweep.id }]);
    const header = h('div');
    const body = h('div', { 'data-testid': sweep.kind === 'variant' ? 'variant-view' : 'optimization-view' });
    fill(view, header, body);
    setTitle(sweep.name || sweep.id);
    let runs = await runsP;
    Conn.lastSweep = sweep;
    Conn.onGone = () => {
      if (stale(seq) || !Conn.lastSweep) return;
      const last = Conn.lastSweep;
      const t = serverGoneText(last, Conn.lastSeen);
      renderSweepHeader(header, Object.assign({}, last, { state: t.finished ? 'done' : 'unreachable', rate_per_s: 0 }), runs);
    };
    if (stale(seq)) return;
    // The header counts what the body shows: both from the same read of the runs.
    renderSweepHeader(header, sweep, runs);
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
          const now = JSON.stringify(s.counts);
          if (now === last) { renderSweepHeader(header, s, runs); return; }
          {
            last = now;
            runs = await Data.runs(id, cache, s.counts && s.counts.total);
            if (stale(seq)) return;
            renderSweepHeader(header, s, runs);
            charts.forEach((c) => c.dispose());
            charts = [];
            await render(s, runs);
          }
        } catch (e) { /* keep the last view; the next tick retries */ }
      }, 3000));
    }
  }

  // `runs` (when every run is loaded) gives the counts, so that they agree with the table and
  // the charts drawn from the same read; the sweep's own counts otherwise.
  function renderSweepHeader(el, s, runs) {
    let c = s.counts;
    if (runs && runs.length === c.total) {
      c = { total: runs.length, done: 0, failed: 0, leased: 0, pending: 0 };
      for (const r of runs) if (r.status === 'done') c.done++; else if (r.status === 'failed') c.failed++; else if (r.status === 'leased' || r.status === 'running') c.leased++; else c.pending++;
    }
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

  // The value constraint `c` compares for `run` (undefined: the metric is missing).
  function constrainedValue(run, c) {
    const v = metricOf(run, c.metric);
    if (typeof v !== 'number' || !isFinite(v)) return undefined;
    return c.absolute ? Math.abs(v) : v;
  }
  // The plan's constraints a run breaks, as text ("max_drawdown 31.2 > 25"); the rule of
  // optimization_result.json's best configuration (producer/analysis.h): a metric that is
  // missing fails its constraint, max_drawdown is compared by magnitude.
  function constraintFailures(run, constraints) {
    const out = [];
    for (const c of constraints || []) {
      const v = constrainedValue(run, c);
      if (v === undefined) { out.push(c.metric + ' undefined'); continue; }
      if (c.min != null && v < c.min) out.push(`${c.metric} ${fmt(v)} < ${fmt(c.min)}`);
      if (c.max != null && v > c.max) out.push(`${c.metric} ${fmt(v)} > ${fmt(c.max)}`);
    }
    return out;
  }
  // constraintFailures(run, constraints).length === 0, without writing the text (it is asked of
  // every run: at 100,000 runs the text took half a second).
  function meetsConstraints(run, constraints) {
    for (const c of constraints || []) {
      const v = constrainedValue(run, c);
      if (v === undefined || (c.min != null && v < c.min) || (c.max != null && v > c.max)) return false;
    }
    return true;
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
      if (!meetsConstraints(r, constraints)) continue;
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
    const eligible = done.filter((r) => meetsConstraints(r, constraints)).length;
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

    if (runs.length < sweep.counts.total) {
      parts.push(h('div', { class: 'note', 'data-testid': 'runs-truncated', role: 'note' }, `This page holds the first ${fmt(runs.length)} of ${fmt(sweep.counts.total)} runs; the best configuration, the charts and the table cover those only. optimization_result.json covers every run.`));
    }
    if (SNAP && done.length > Object.keys(SNAP.details || {}).length) {
      parts.push(h('div', { class: 'note' }, `This report embeds the equity curves and trades of the ${Object.keys(SNAP.details).length} best runs by ${label(pm)}; every run is in the table and the charts.`));
    }

    // Scatter plots.
    const rr = h('div', { class: 'chart', 'data-testid': 'chart-risk-return' });
    const sd = h('div', { class: 'chart', 'data-testid': 'chart-sharpe-dd' });
    parts.push(h('div', { class: 'grid2 row' },
      h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Risk vs return'), h('span', { class: 'sub' }, 'max drawdown vs total return · colour: ' + label(pm) + ' · click a point to open the run'), h('span', { class: 'sub', 'data-testid': 'plot-sample' })), rr),
      h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Sharpe vs drawdown'), h('span', { class: 'sub' }, 'every completed configuration')), sd)));

    // Where the best configuration sits on the edge of a parameter's range, the optimum may lie
    // outside it.
    const edges = best ? edgeParams(best.run, done, params) : [];
    if (edges.length) {
      parts.splice(1, 0, h('div', { class: 'note', 'data-testid': 'edge-warning', role: 'note' },
        'The best configuration lies on the edge of the range of ' + edges.map((e) => `${e.param} (${fmt(e.value)}, the ${e.side} of ${fmt(e.lo)}…${fmt(e.hi)})`).join(', ') +
        '. The optimum may lie outside the range searched: widen it before trusting this result.'));
    }

    // Pareto front of any two metrics.
    const paretoChart = h('div', { class: 'chart', 'data-testid': 'chart-pareto' });
    const paretoCard = h('div', { class: 'card', 'data-testid': 'pareto' });
    const historyChart = h('div', { class: 'chart', 'data-testid': 'chart-history' });
    parts.push(h('div', { class: 'grid2 row' }, paretoCard,
      h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Best so far'), h('span', { class: 'sub' }, 'the best ' + label(pm) + (constraints.length ? ' within the constraints' : '') + ' among runs 0…N, in plan order')), historyChart)));

    // Parameter importance and slices.
    const impChart = h('div', { class: 'chart', 'data-testid': 'chart-importance' });
    const sliceChart = h('div', { class: 'chart', 'data-testid': 'chart-slice' });
    const sliceCard = h('div', { class: 'card', 'data-testid': 'slice' });
    if (params.length) {
      parts.push(h('div', { class: 'grid2 row' },
        h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Parameter importance'), h('span', { class: 'sub' }, 'share of the variance of ' + label(pm) + ' explained by each parameter alone (η²)')), impChart),
        sliceCard));
      const parChart = h('div', { class: 'chart tall', 'data-testid': 'chart-parallel' });
      parts.push(h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Parallel coordinates'), h('span', { class: 'sub', 'data-testid': 'parallel-sub' }, '')), parChart));
    }

    // Top equity curves overlaid.
    const topEq = h('div', { class: 'chart tall', 'data-testid': 'chart-top-equity' });
    parts.push(h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Top equity curves'), h('span', { class: 'sub', 'data-testid': 'top-equity-sub' }, 'the best runs by ' + label(pm))), topEq));

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

    // The overfitting panel (ui/src/overfitting.js; report.html only).
    const overfit = window.S1mpleOverfitting && window.S1mpleOverfitting.panel(chart);
    if (overfit) parts.push(overfit.element);
    // Table.
    const tableCard = h('div', { class: 'card' });
    parts.push(tableCard);
    if (sweep.failures && sweep.failures.length) parts.push(failuresCard(sweep));
    parts.push(planCard(sweep));
    fill(body, ...parts);
    if (overfit) overfit.draw();

    const clickRun = (p) => { const idx = p.data && (p.data.index ?? p.data[3]); if (idx != null) goRun(sweep.id, idx); };
    // Point clouds draw at most PLOT_POINTS runs (the best half and an even sample of the rest);
    // statistics (best, front, importance, heatmap) always use every run.
    const plotted = sampleRuns(done, pm, PLOT_POINTS);
    if (plotted.length < done.length) {
      body.querySelectorAll('[data-testid=plot-sample]').forEach((el) => { el.textContent = `${fmt(plotted.length)} of ${fmt(done.length)} runs plotted (the best half and an even sample of the rest)`; });
    }
    scatter(rr, plotted, 'max_drawdown', 'total_return', pm, clickRun);
    scatter(sd, plotted, 'max_drawdown', 'sharpe_ratio', 'total_return', clickRun);
    renderHeatmapCard(hmCard, hmChart, sweep, done, params, metrics, state);
    renderParetoCard(paretoCard, paretoChart, sweep, done, metrics, state, plotted);
    bestSoFar(historyChart, sweep, runs, plotted);
    if (params.length) {
      importance(impChart, done, params, pm);
      renderSliceCard(sliceCard, sliceChart, sweep, plotted, params, pm, state);
      parallel(body.querySelector('[data-testid=chart-parallel]'), done, params, pm);
    }
    topEquity(topEq, sweep, done, pm, best);
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
      visualMap: cv.length ? Object.assign(colourScale(cm, cv), { dimension: 2, right: 0, top: 'middle', itemHeight: 120,
        text: [label(cm), ''], textStyle: { fontSize: 11 } }) : undefined,
      series: [{ type: 'scatter', symbolSize: pts.length > 2000 ? 4 : 8, data: pts, itemStyle: { opacity: 0.85 } }],
    });
    c.on('click', onClick);
  }

  // Numeric parameters (3 or more values searched) where the best run sits at an end.
  function edgeParams(run, done, params) {
    const out = [];
    for (const p of params) {
      const vals = sortedDistinct(done.map((r) => r.params[p])).filter((v) => typeof v === 'number');
      if (vals.length < 3) continue;
      const v = run.params[p];
      if (v === vals[0] || v === vals[vals.length - 1]) out.push({ param: p, value: v, lo: vals[0], hi: vals[vals.length - 1], side: v === vals[0] ? 'lower end' : 'upper end' });
    }
    return out;
  }

  // η² of metric `m` per parameter: between-group sum of squares over the total (each value of
  // the parameter a group). 1 = the parameter alone decides the metric, 0 = it does not matter.
  function etaSquared(runs, p, m) {
    const groups = new Map();
    let n = 0, sum = 0;
    for (const r of runs) {
      const v = metricOf(r, m);
      if (typeof v !== 'number' || !isFinite(v)) continue;
      const k = JSON.stringify(r.params[p]);
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(v); n++; sum += v;
    }
    if (n < 2) return null;
    const mean = sum / n;
    let total = 0, between = 0;
    for (const g of groups.values()) {
      const gm = g.reduce((a, b) => a + b, 0) / g.length;
      between += g.length * (gm - mean) ** 2;
      for (const v of g) total += (v - mean) ** 2;
    }
    return total > 0 ? between / total : 0;
  }
  function importance(el, runs, params, pm) {
    const rows = params.map((p) => ({ p, v: etaSquared(runs, p, pm) })).filter((x) => x.v != null).sort((a, b) => a.v - b.v);
    if (!rows.length) { el.replaceWith(h('div', { class: 'empty' }, 'Not enough finished runs.')); return; }
    const short = shortNames(params);
    el.style.height = Math.max(200, 60 + 34 * rows.length) + 'px';
    el.dataset.importance = JSON.stringify(Object.fromEntries(rows.map((x) => [x.p, x.v])));
    chart(el, { grid: { left: 150, right: 40, top: 10, bottom: 40 }, tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => fmt(v, 3) },
      xAxis: { type: 'value', min: 0, max: 1, name: 'η²', nameLocation: 'middle', nameGap: 26 },
      yAxis: { type: 'category', data: rows.map((x) => short.get(x.p)), axisLabel: { width: 140, overflow: 'truncate' } },
      series: [{ name: 'importance', type: 'bar', data: rows.map((x) => +x.v.toFixed(4)), itemStyle: { color: SEQUENTIAL[1] } }] },
    'parameter importance: ' + rows.slice().reverse().map((x) => `${x.p} ${x.v.toFixed(2)}`).join(', '));
  }

  function renderSliceCard(card, el, sweep, runs, params, pm, state) {
    const sel = state.slice || (state.slice = { param: params[0] });
    const short = shortNames(params);
    const draw = () => {
      const old = echarts.getInstanceByDom(el);
      if (old) { old.dispose(); charts = charts.filter((c) => c !== old); }
      const pts = runs.map((r) => [r.params[sel.param], metricOf(r, pm), r.index]).filter((q) => typeof q[1] === 'number' && q[0] !== undefined);
      const numeric = pts.every((q) => typeof q[0] === 'number');
      const cats = numeric ? null : sortedDistinct(pts.map((q) => q[0])).map((v) => fmt(v));
      const c = chart(el, { grid: Object.assign({}, grid, { top: 20 }),
        tooltip: { trigger: 'item', formatter: (p) => `run #${p.data[2]}<br>${sel.param}: ${numeric ? fmt(p.data[0]) : p.data[0]}<br>${label(pm)}: ${fmt(p.data[1])}` },
        xAxis: Object.assign(numeric ? { type: 'value', scale: true } : { type: 'category', data: cats }, axisName(short.get(sel.param))),
        yAxis: Object.assign({ type: 'value', scale: true }, axisName(unitLabel(pm)), { nameGap: 48 }),
        series: [{ name: 'runs', type: 'scatter', symbolSize: pts.length > 2000 ? 3 : 6, data: numeric ? pts : pts.map((q) => [fmt(q[0]), q[1], q[2]]), itemStyle: { color: SEQUENTIAL[1], opacity: 0.6 } }] },
      `slice plot: ${label(pm)} of ${pts.length} runs against ${sel.param}`);
      c.on('click', (p) => { if (p.data) goRun(sweep.id, p.data[2]); });
    };
    fill(card, h('div', { class: 'head' }, h('h2', null, 'Slice'), h('span', { class: 'sub' }, 'one dot per run')),
      h('div', { class: 'toolbar' }, h('label', { class: 'sel' }, 'Parameter', h('select', { 'data-testid': 'slice-param', 'aria-label': 'slice parameter',
        onchange: (e) => { sel.param = e.target.value; draw(); } }, params.map((p) => { const o = h('option', { value: p, title: p }, short.get(p)); if (p === sel.param) o.selected = true; return o; })))),
      el);
    draw();
  }

  const PLOT_POINTS = 20000;
  // Runs a browser can draw: every run up to `limit`, else the best limit/2 by `pm` and an even
  // sample of the rest (deterministic).
  function sampleRuns(runs, pm, limit) {
    if (runs.length <= limit) return runs;
    // Each score once (not twice per comparison); the sort is stable, so the order is the same.
    const sorted = runs.map((r) => [scoreOf(r, pm), r]).sort((a, b) => cmp(b[0], a[0])).map((k) => k[1]);
    const top = sorted.slice(0, limit / 2), rest = sorted.slice(limit / 2);
    const step = rest.length / (limit / 2);
    const out = top.slice();
    for (let i = 0; i < limit / 2; i++) out.push(rest[Math.floor(i * step)]);
    return out;
  }
  function parallel(el, runs, params, pm) {
    const shown = sampleRuns(runs.filter((r) => typeof metricOf(r, pm) === 'number'), pm, 3000);
    const short = shortNames(params);
    document.querySelector('[data-testid=parallel-sub]').textContent = `${fmt(shown.length)} of ${fmt(runs.length)} runs` +
      (shown.length < runs.length ? ' (the best half and an even sample of the rest)' : '') + ' · colour: ' + label(pm) + ' · drag along an axis to select';
    if (!shown.length) { el.replaceWith(h('div', { class: 'empty' }, 'No finished run.')); return; }
    const dims = params.map((p, i) => {
      const vals = sortedDistinct(shown.map((r) => r.params[p]));
      return vals.every((v) => typeof v === 'number') ? { dim: i, name: short.get(p), type: 'value', scale: true }
        : { dim: i, name: short.get(p), type: 'category', data: vals.map((v) => String(v)) };
    });
    dims.push({ dim: params.length, name: label(pm), type: 'value', scale: true });
    const vals = shown.map((r) => metricOf(r, pm));
    chart(el, { parallelAxis: dims, parallel: { left: 60, right: 110, top: 40, bottom: 30 },
      visualMap: Object.assign(colourScale(pm, vals), { dimension: params.length, right: 0, top: 'middle', itemHeight: 120, text: [label(pm), ''], textStyle: { fontSize: 11 } }),
      series: [{ name: 'runs', type: 'parallel', lineStyle: { width: 1, opacity: 0.5 },
        data: shown.map((r) => params.map((p, i) => (dims[i].type === 'category' ? String(r.params[p]) : r.params[p])).concat([metricOf(r, pm)])) }] },
    `parallel coordinates of ${shown.length} runs over ${params.join(', ')} and ${label(pm)}`);
  }

  // The non-dominated runs for (x, y), each in its better direction.
  function paretoFront(pts, xm, ym) {
    const sx = lowerIsBetter(xm) ? -1 : 1, sy = lowerIsBetter(ym) ? -1 : 1;
    const score = (p) => [sx * (lowerIsBetter(xm) ? Math.abs(p[0]) : p[0]), sy * (lowerIsBetter(ym) ? Math.abs(p[1]) : p[1])];
    const sorted = pts.map((p) => ({ p, s: score(p) })).sort((a, b) => b.s[0] - a.s[0] || b.s[1] - a.s[1]);
    const out = [];
    let bestY = -Infinity;
    for (const q of sorted) if (q.s[1] > bestY) { out.push(q.p); bestY = q.s[1]; }
    return out.sort((a, b) => a[0] - b[0]);
  }
  function renderParetoCard(card, el, sweep, runs, metrics, state, plotted) {
    const sel = state.pareto || (state.pareto = { x: metrics.includes('max_drawdown') ? 'max_drawdown' : metrics[0], y: metrics.includes('total_return') ? 'total_return' : metrics[1] || metrics[0] });
    const select = (testid, value, onchange) => h('select', { 'data-testid': testid, 'aria-label': testid.replace('-', ' '), onchange },
      metrics.map((m) => { const o = h('option', { value: m }, label(m)); if (m === value) o.selected = true; return o; }));
    const draw = () => {
      const old = echarts.getInstanceByDom(el);
      if (old) { old.dispose(); charts = charts.filter((c) => c !== old); }
      const toPts = (list) => list.map((r) => [metricOf(r, sel.x), metricOf(r, sel.y), r.index]).filter((p) => typeof p[0] === 'number' && typeof p[1] === 'number' && isFinite(p[0]) && isFinite(p[1]));
      const front = paretoFront(toPts(runs), sel.x, sel.y);
      const pts = toPts(plotted || runs);
      el.dataset.front = JSON.stringify(front.map((p) => p[2]));
      const c = chart(el, { grid: Object.assign({}, grid, { top: 30 }), legend: { top: 0 },
        tooltip: { trigger: 'item', formatter: (p) => `run #${p.data[2]}<br>${label(sel.x)}: ${fmt(p.data[0])}<br>${label(sel.y)}: ${fmt(p.data[1])}` },
        xAxis: Object.assign({ type: 'value', scale: true }, axisName(unitLabel(sel.x))),
        yAxis: Object.assign({ type: 'value', scale: true }, axisName(unitLabel(sel.y)), { nameGap: 48 }),
        series: [{ name: 'runs', type: 'scatter', symbolSize: pts.length > 2000 ? 3 : 6, data: pts, itemStyle: { color: '#9aa3b5', opacity: 0.6 } },
          { name: 'Pareto front', type: 'line', step: false, symbolSize: 8, data: front, itemStyle: { color: DIVERGING[6] }, lineStyle: { width: 1.5 } }] },
      `Pareto front of ${label(sel.x)} and ${label(sel.y)}: ${front.length} of ${pts.length} runs are not dominated`);
      c.on('click', (p) => { if (p.data) goRun(sweep.id, p.data[2]); });
    };
    fill(card, h('div', { class: 'head' }, h('h2', null, 'Pareto front'), h('span', { class: 'sub' }, 'any two metrics · runs no other run beats on both')),
      h('div', { class: 'toolbar' }, h('label', { class: 'sel' }, 'X', select('pareto-x', sel.x, (e) => { sel.x = e.target.value; draw(); })),
        h('label', { class: 'sel' }, 'Y', select('pareto-y', sel.y, (e) => { sel.y = e.target.value; draw(); }))), el);
    draw();
  }

  function bestSoFar(el, sweep, runs, plotted) {
    const pm = (sweep.plan && sweep.plan.primary_metric) || 'sharpe_ratio';
    const maximize = sweep.plan && sweep.plan.direction ? sweep.plan.direction === 'maximize' : !lowerIsBetter(pm);
    const constraints = planConstraints(sweep);
    const ordered = runs.slice().sort((a, b) => a.index - b.index);
    const line = [], dots = [];
    const shown = plotted && plotted.length < runs.length ? new Set(plotted.map((r) => r.index)) : null;
    let best = null;
    for (const r of ordered) {
      const v = metricOf(r, pm);
      if (typeof v !== 'number' || !isFinite(v) || r.status !== 'done') continue;
      const ok = meetsConstraints(r, constraints);
      if (!shown || shown.has(r.index)) dots.push([r.index, v]);
      // The line only where it moves (and at the end): a step chart of every run is no clearer.
      if (ok && (best == null || (maximize ? v > best : v < best))) { best = v; line.push([r.index, best]); }
    }
    if (best != null && ordered.length) line.push([ordered[ordered.length - 1].index, best]);
    if (!dots.length) { el.replaceWith(h('div', { class: 'empty' }, 'No finished run.')); return; }
    chart(el, { grid: Object.assign({}, grid, { top: 30 }), legend: { top: 0 }, tooltip: { trigger: 'axis' },
      xAxis: Object.assign({ type: 'value', min: 0 }, axisName('run index')),
      yAxis: Object.assign({ type: 'value', scale: true }, axisName(unitLabel(pm)), { nameGap: 48 }),
      series: [{ name: 'runs', type: 'scatter', symbolSize: dots.length > 2000 ? 2 : 4, data: dots, itemStyle: { color: '#9aa3b5', opacity: 0.5 } },
        { name: 'best so far', type: 'line', step: 'end', showSymbol: false, data: line, lineStyle: { width: 2, color: DIVERGING[6] } }] },
    `best-so-far history of ${label(pm)} over ${dots.length} runs`);
  }

  async function topEquity(el, sweep, runs, pm, best) {
    const N = 10;
    const maximize = sweep.plan && sweep.plan.direction ? sweep.plan.direction === 'maximize' : !lowerIsBetter(pm);
    const ranked = runs.filter((r) => typeof metricOf(r, pm) === 'number' && Data.hasRun(r.index))
      .sort((a, b) => (maximize ? metricOf(b, pm) - metricOf(a, pm) : metricOf(a, pm) - metricOf(b, pm)) || a.index - b.index).slice(0, N);
    if (!ranked.length) { el.replaceWith(h('div', { class: 'empty' }, 'No run with an equity curve.')); return; }
    const seq = routeSeq;
    const details = await Promise.all(ranked.map((r) => Data.run(sweep.id, r.index).catch(() => null)));
    if (stale(seq) || !el.isConnected) return;
    const series = details.filter((d) => d && (d.equity || []).length).map((d) => ({ name: '#' + d.index + (best && best.run.index === d.index ? ' (best)' : ''), data: d.equity }));
    const sub = document.querySelector('[data-testid=top-equity-sub]');
    if (sub) sub.textContent = `the ${series.length} best runs by ${label(pm)}` + (SNAP ? ' among those this report embeds' : '');
    if (!series.length) { el.replaceWith(h('div', { class: 'empty' }, 'No run with an equity curve.')); return; }
    lineChart(el, series, (v) => fmt(v, 0));
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
      if (agg === 'max') v = vals.reduce((a, b) => (b > a ? b : a), -Infinity);
      else if (agg === 'min') v = vals.reduce((a, b) => (b < a ? b : a), Infinity);
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
      const c = chart(el, {
        grid: { left: 110, right: 90, top: 20, bottom: 70 },
        tooltip: { formatter: (p) => `${hm.x} = ${fmt(xs[p.data[0]])}<br>${hm.y ? hm.y + ' = ' + fmt(ys[p.data[1]]) + '<br>' : ''}${hm.agg} ${label(hm.metric)}: <b>${fmt(p.data[2])}</b><br>${p.data[3]} run(s)` },
        xAxis: Object.assign({ type: 'category', data: xs.map((v) => fmt(v)), splitArea: { show: true } }, axisName(hm.x), { nameGap: 34 }),
        yAxis: Object.assign({ type: 'category', data: ys.map((v) => (v == null ? 'all' : fmt(v))), splitArea: { show: true } }, axisName(hm.y || ''), { nameGap: 80 }),
        visualMap: Object.assign(colourScale(hm.metric, vals, hm.agg), { dimension: 2, right: 0, top: 'middle',
          text: [(hm.agg === 'count' ? 'runs' : label(hm.metric)), ''], textStyle: { fontSize: 11 } }),
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

  // Category labels that all show: every one (interval 0), rotated and truncated when many.
  const categoryLabels = (n) => ({ interval: 0, rotate: n > 4 ? 30 : 0, width: n > 4 ? 110 : 160, overflow: 'truncate' });

  function causalityBars(el, runs, name) {
    const withC = runs.filter((r) => r.causality);
    if (!withC.length) { el.replaceWith(h('div', { class: 'empty' }, 'No causality data.')); return; }
    chart(el, {
      grid: Object.assign({}, grid, { bottom: withC.length > 4 ? 90 : 60 }),
      legend: { top: 0 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: withC.map(name), axisLabel: categoryLabels(withC.length) },
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
      grid: Object.assign({}, grid, { bottom: runs.length > 4 ? 90 : 60 }),
      legend: { top: 0, type: 'scroll' },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: runs.map(name), axisLabel: categoryLabels(runs.length) },
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
  // The column of each comparison term, found once per filter (not once per row).
  function bindTerms(terms, cols) {
    return terms.map((t) => (t.text != null ? t : Object.assign({}, t, { column: cols.find((c) => c.key === t.col || c.title === t.col || c.key.endsWith('.' + t.col)) || null })));
  }
  function rowMatches(row, terms, cols) {
    for (const t of terms) {
      if (t.text != null) {
        if (!cols.some((c) => String(c.get(row) ?? '').toLowerCase().includes(t.text))) return false;
        continue;
      }
      const col = t.column !== undefined ? t.column : cols.find((c) => c.key === t.col || c.title === t.col || c.key.endsWith('.' + t.col));
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
    const pm = (sweep.plan && sweep.plan.primary_metric) || 'sharpe_ratio';
    const short = shortNames(params);
    // The run and the primary metric come first and stay in view when the table scrolls
    // sideways; parameters get short names (the full name on hover).
    const metricCol = (m) => ({ key: m, title: unitLabel(m), full: m, get: (r) => metricOf(r, m), cls: 'grp-metric', metric: true, group: 'metrics' });
    const cols = [{ key: '#', title: '#', full: 'run index', get: (r) => r.index, cls: '', sticky: 0, group: 'run' }]
      .concat(metrics.includes(pm) ? [Object.assign(metricCol(pm), { sticky: 1 })] : [])
      .concat(sweep.kind === 'variant' ? [{ key: 'name', title: 'variant', get: (r) => r.name, cls: 'l', group: 'run' }] : [])
      .concat(params.map((p) => ({ key: p, title: short.get(p), full: p, get: (r) => r.params[p], cls: 'grp-param', group: 'parameters' })))
      .concat(metrics.filter((m) => m !== pm).map(metricCol))
      .concat(CAUSE_KEYS.map((k) => ({ key: k, title: label(k), full: k, get: (r) => (r.causality ? r.causality[k] : undefined), cls: 'grp-cause', group: 'causality' })))
      // Whether each finished run meets the plan's constraints (filter e.g. constraints=meets).
      .concat(sweep.kind !== 'variant' && planConstraints(sweep).length ? [{ key: 'constraints', title: 'constraints', cls: 'l', group: 'run',
        get: (r) => (r.metrics ? (meetsConstraints(r, planConstraints(sweep)) ? 'meets' : 'breaks') : undefined) }] : [])
      .concat([{ key: 'status', title: 'status', get: (r) => r.status, cls: 'l', group: 'run' }])
      // In a report that embeds the curves of some runs only: which (filter curves=none).
      .concat(SNAP && runs.some((r) => r.metrics && !Data.hasRun(r.index)) ? [{ key: 'curves', title: 'curves', cls: 'l', group: 'run',
        get: (r) => (r.metrics ? (Data.hasRun(r.index) ? 'embedded' : 'none') : undefined) }] : []);
    const hidden = state.hidden || (state.hidden = new Set());
    const filterInput = h('input', { type: 'search', placeholder: 'filter: text, or e.g.  sharpe_ratio>1  min_gap_size=5  status=failed', value: state.filter,
      'data-testid': 'runs-filter', 'aria-label': 'filter the runs' });
    const count = h('span', { class: 'muted small', 'data-testid': 'runs-count', 'aria-live': 'polite' });
    const pager = h('span', { class: 'toolbar', 'data-testid': 'runs-pager', style: 'margin:0' });
    const tbody = h('tbody');
    const headRow = h('tr');
    const table = h('table', { class: 'data', 'data-testid': 'runs-table', 'aria-label': 'every run of the sweep' }, h('thead', null, headRow), tbody);
    const chooser = h('details', { class: 'chooser', 'data-testid': 'column-chooser' }, h('summary', null, 'Columns'),
      h('div', { class: 'chooser-list' }, cols.filter((c) => c.sticky == null).map((c) => h('label', { title: c.full || c.title },
        h('input', { type: 'checkbox', 'data-col': c.key, checked: !hidden.has(c.key), onchange: (e) => { if (e.target.checked) hidden.delete(c.key); else hidden.add(c.key); draw(); } }),
        ' ' + c.title))));
    // In a report, runs whose curves are not embedded say so in the table and open as a summary
    // with their reproduce command.
    const noDetail = (r) => SNAP && r.metrics && !Data.hasRun(r.index);
    const stickLeft = () => {
      const first = headRow.querySelector('th[data-sticky="0"]');
      table.style.setProperty('--sticky1-left', (first ? first.offsetWidth : 0) + 'px');
    };
    const draw = () => {
      const visible = cols.filter((c) => !hidden.has(c.key));
      const terms = bindTerms(parseFilter(state.filter), cols);
      let rows = terms.length ? runs.filter((r) => rowMatches(r, terms, cols)) : runs.slice();
      const sc = cols.find((c) => c.key === state.sort);
      if (sc) {
        // Each key read once (not once per comparison): sorting 100,000 rows stays fast.
        const keyed = rows.map((r) => [sc.get(r), r]);
        keyed.sort((a, b) => { const x = a[0], y = b[0]; if (x == null && y == null) return a[1].index - b[1].index; if (x == null) return 1; if (y == null) return -1; return state.dir * cmp(x, y) || a[1].index - b[1].index; });
        rows = keyed.map((k) => k[1]);
      }
      const pages = Math.max(1, Math.ceil(rows.length / PAGE));
      state.page = Math.min(state.page, pages - 1);
      const slice = rows.slice(state.page * PAGE, state.page * PAGE + PAGE);
      const sortBy = (c) => () => { if (state.sort === c.key) state.dir = -state.dir; else { state.sort = c.key; state.dir = c.metric && !lowerIsBetter(c.key) ? -1 : 1; } state.page = 0; draw();
        const th = headRow.querySelector(`th[data-col="${CSS.escape(c.key)}"]`); if (th) th.focus(); };
      fill(headRow, ...visible.map((c) => h('th', {
        class: ['sortable', c.cls, c.cls === 'l' ? 'l' : '', state.sort === c.key ? 'sorted' : '', c.sticky != null ? 'sticky' + c.sticky : ''].join(' '),
        'data-col': c.key, 'data-sticky': c.sticky, title: (c.full && c.full !== c.title ? c.full + ' · ' : '') + 'sort by ' + c.title, tabindex: 0, scope: 'col',
        'aria-sort': state.sort === c.key ? (state.dir > 0 ? 'ascending' : 'descending') : 'none',
        onclick: sortBy(c), onkeydown: onActivate(sortBy(c)),
      }, c.title, state.sort === c.key ? h('span', { class: 'arrow', 'aria-hidden': 'true' }, state.dir > 0 ? '▲' : '▼') : null)));
      fill(tbody, ...slice.map((r) => h('tr', { class: 'click' + (noDetail(r) ? ' no-detail' : ''), 'data-index': r.index, 'data-testid': 'run-row', tabindex: 0,
        'aria-label': 'run ' + r.index + (noDetail(r) ? ' (no curves in this report)' : ''),
        onclick: () => goRun(sweep.id, r.index), onkeydown: onActivate(() => goRun(sweep.id, r.index)) },
        visible.map((c) => {
          const v = c.get(r);
          const st = c.sticky != null ? ' sticky' + c.sticky : '';
          if (c.key === 'status') return h('td', { class: 'l', 'data-col': c.key }, h('span', { class: 'pill ' + r.status }, r.status), r.failure ? h('span', { class: 'muted small', title: r.failure }, ' ' + r.failure.slice(0, 40)) : null);
          if (c.key === 'curves' && v === 'none') return h('td', { class: 'l muted', 'data-col': c.key, 'data-testid': 'no-detail',
            title: 'this report embeds the curves of the best runs only; the run page gives its metrics and the command that reproduces it' }, 'none · reproduce');
          if (c.key === 'constraints' && v === 'breaks') return h('td', { class: 'l neg', 'data-col': c.key, title: constraintFailures(r, planConstraints(sweep)).join(', ') }, v);
          return h('td', { class: (c.cls === 'l' ? 'l' : '') + st, 'data-col': c.key }, fmt(v));
        }))));
      if (!slice.length) fill(tbody, h('tr', null, h('td', { colspan: visible.length, class: 'l muted' }, 'No run matches the filter.')));
      count.textContent = rows.length ? `showing ${state.page * PAGE + 1}–${state.page * PAGE + slice.length} of ${fmt(rows.length)}` +
        (rows.length !== runs.length ? ` (filtered from ${fmt(runs.length)})` : '') : `0 of ${fmt(runs.length)}`;
      fill(pager,
        h('button', { disabled: state.page === 0, onclick: () => { state.page--; draw(); }, 'data-testid': 'page-prev', 'aria-label': 'previous page' }, '‹ prev'),
        h('span', { class: 'muted small' }, `page ${state.page + 1} / ${pages}`),
        h('button', { disabled: state.page >= pages - 1, onclick: () => { state.page++; draw(); }, 'data-testid': 'page-next', 'aria-label': 'next page' }, 'next ›'));
      requestAnimationFrame(stickLeft);
    };
    let debounce = null;
    filterInput.addEventListener('input', () => { clearTimeout(debounce); debounce = setTimeout(() => { state.filter = filterInput.value; state.page = 0; draw(); }, 120); });
    fill(card, h('div', { class: 'head' }, h('h2', null, 'All runs'), h('span', { class: 'sub' }, 'click a column (or Tab to it and press Enter) to sort, a row to open the run')),
      h('div', { class: 'toolbar' }, filterInput, chooser, count, h('span', { style: 'flex:1' }), pager), h('div', { class: 'scroll' }, table));
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
        kpi('Best Sharpe', best ? names(best.run) : '—', 'text', 'best-variant', best ? 'Sharpe ' + fmt(best.value) : null),
        ...comparative(done)),
      identicalNote(runs),
      h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Comparative metrics'), h('span', { class: 'sub' }, 'best value per metric in green · click or press Enter on a variant to open its run')),
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

  function identicalNote(runs) {
    const same = identicalVariants(runs);
    if (!same.size) return null;
    const seen = new Set(), groups = [];
    for (const r of runs) {
      if (!same.has(r.index) || seen.has(r.index)) continue;
      const g = [r].concat(same.get(r.index));
      g.forEach((x) => seen.add(x.index));
      groups.push(g.map((x) => x.name || '#' + x.index).join(' = '));
    }
    return h('div', { class: 'note', 'data-testid': 'identical-variants', role: 'note' },
      'Identical results: ' + groups.join('; ') + '. These variants may differ in a setting that never came into play on this data.');
  }

  function comparative(done) {
    const pick = (m) => { const b = bestRun(done, m); return b ? b.run.name || '#' + b.run.index : '—'; };
    const defensive = done.filter((r) => r.causality && r.causality.opportunities_detected > 0)
      .map((r) => ({ r, v: r.causality.opportunities_rejected / r.causality.opportunities_detected }))
      .sort((a, b) => b.v - a.v)[0];
    return [
      kpi('Best return', pick('total_return'), 'text', 'best-return'),
      kpi('Lowest drawdown', pick('max_drawdown'), 'text', 'lowest-dd'),
      kpi('Most trades', pick('total_trades'), 'text', 'most-trades'),
      kpi('Most defensive', defensive ? defensive.r.name || '#' + defensive.r.index : '—', 'text', 'most-defensive',
        defensive ? fmtPct(defensive.v) + ' of opportunities rejected' : null),
    ];
  }

  // Variants whose results are identical (every metric and causality count equal): index ->
  // the indexes of the others, so the table and a note can say so.
  function identicalVariants(runs) {
    const groups = new Map();
    for (const r of runs) {
      if (!r.metrics) continue;
      const c = r.causality || {};
      const key = JSON.stringify([r.metrics, CAUSE_KEYS.map((k) => c[k])]);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(r);
    }
    const out = new Map();
    for (const g of groups.values()) if (g.length > 1) for (const r of g) out.set(r.index, g.filter((o) => o !== r));
    return out;
  }
  const describeVariant = (sweep, r) => ((sweep.variants || []).find((v) => v.index === r.index) || {}).description || '';

  function variantMetricsTable(sweep, runs, metrics) {
    const cols = metrics.concat(CAUSE_KEYS);
    const same = identicalVariants(runs);
    const bestIdx = {};
    for (const m of cols) { const b = bestRun(runs.filter((r) => r.metrics), m); if (b && !CAUSE_KEYS.includes(m)) bestIdx[m] = b.run.index; }
    return h('div', { class: 'scroll' }, h('table', { class: 'data', 'data-testid': 'variant-metrics' },
      h('thead', null, h('tr', null, h('th', { class: 'l' }, 'Variant'), cols.map((m) => h('th', { class: CAUSE_KEYS.includes(m) ? 'grp-cause' : 'grp-metric' }, unitLabel(m))), h('th', { class: 'l' }, 'Status'))),
      h('tbody', null, runs.map((r, i) => h('tr', { class: 'click', 'data-index': r.index, 'data-testid': 'variant-row', tabindex: 0, 'aria-label': 'variant ' + (r.name || r.index),
        onclick: () => goRun(sweep.id, r.index), onkeydown: onActivate(() => goRun(sweep.id, r.index)) },
        h('td', { class: 'l', title: describeVariant(sweep, r) || null }, h('span', { class: 'legend-dot', style: 'background:' + PALETTE[i % PALETTE.length] }), h('span', { 'data-testid': 'variant-name' }, r.name || '#' + r.index),
          same.has(r.index) ? h('span', { class: 'pill warn', 'data-testid': 'identical-flag', title: 'identical results to ' + same.get(r.index).map((o) => o.name || '#' + o.index).join(', ') }, 'identical') : null,
          describeVariant(sweep, r) ? h('div', { class: 'muted small desc', 'data-testid': 'variant-description' }, describeVariant(sweep, r)) : null),
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
      // Areas only for up to three series: more overlapping fills read as one grey mass.
      series: series.map((s) => ({ name: s.name, type: 'line', showSymbol: false, data: s.data,
        lineStyle: s.dashed ? { width: 1.4, type: 'dashed' } : { width: 1.6 },
        areaStyle: area && series.length <= 3 ? { opacity: 0.08 } : undefined })),
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
      // Up to three variants as bars side by side; more as step outlines over one another,
      // which stay readable where 8 bars per bin do not.
      series: series.map((s) => {
        const bins = new Array(n).fill(0);
        for (const t of s.trades) { if (typeof t.pnl !== 'number') continue; bins[Math.min(n - 1, Math.floor((t.pnl - lo) / w))]++; }
        return series.length <= 3 ? { name: s.name, type: 'bar', data: bins, barGap: '5%' }
          : { name: s.name, type: 'line', step: 'middle', showSymbol: false, data: bins, lineStyle: { width: 1.6 } };
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
      yAxis: { type: 'category', data: series.map((s) => s.name), splitArea: { show: true }, inverse: true,
        axisLabel: { width: 120, overflow: 'truncate' } },
      visualMap: { min: -lim, max: lim, calculable: true, right: 0, top: 'middle', text: ['%', ''], precision: legendPrecision(-lim, lim),
        inRange: { color: DIVERGING } },
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
      run.summary_only ? h('div', { class: 'note', 'data-testid': 'run-summary-only', role: 'note' },
        'This report embeds the curves and trades of the best runs only. The metrics, parameters and causality of this run are below; ',
        'the command under "Reproduce this run" writes and runs it in full (or open it in the live page, `s1mple broker --http`).') : null,
      h('div', { class: 'card' }, h('h2', null, 'Reproduce this run'),
        h('div', { class: 'cmd' }, h('code', { 'data-testid': 'reproduce' }, run.reproduce), copyBtn),
        h('div', { class: 'muted small', style: 'margin-top:6px' }, 'Writes the stripped operation.yaml and strategy_blueprint.yaml of this run and runs it alone; the metrics are identical.')),
      h('div', { class: 'kpis', 'data-testid': 'run-metrics' }, keys.map((k) => h('div', { class: 'kpi', 'data-metric': k },
        h('div', { class: 'label' }, unitLabel(k)), h('div', { class: 'value', 'data-testid': 'metric-' + k }, fmt(metrics[k]))))),
      run.summary_only ? null : h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Equity'), h('span', { class: 'sub' }, (run.equity || []).length + ' points')), eq),
      run.summary_only ? null : h('div', { class: 'card' }, h('h2', null, 'Drawdown'), dd),
      run.summary_only ? null : tearSheet(run),
      h('div', { class: 'grid2 row' },
        h('div', { class: 'card' }, h('h2', null, 'Parameters'), Object.keys(allParams).length
          ? h('dl', { class: 'kv', 'data-testid': 'run-params' }, Object.entries(allParams).map(([k, v]) => [h('dt', null, k), h('dd', { 'data-param': k }, fmt(v))]))
          : h('div', { class: 'muted' }, 'The base configuration (no overrides).')),
        h('div', { class: 'card', 'data-testid': 'run-causality' }, h('h2', null, 'Causality'), causalityList(run.causality))),
      run.summary_only ? null : tradesCard(run));
    setTitle('run #' + index + (run.name ? ' ' + run.name : ''), sweep.name || id);
    if (run.summary_only) return;
    if ((run.equity || []).length) {
      // Buy and hold of the same data at the same points (docs/METRICS.md): the initial capital
      // bought at the first traded close, no fees. Absent from results written before it existed.
      const bh = (run.buy_and_hold || []).length === run.equity.length ? run.buy_and_hold : [];
      lineChart(eq, [{ name: 'equity', data: run.equity }].concat(bh.length ? [{ name: 'buy and hold', data: bh, dashed: true }] : []), (v) => fmt(v, 0));
      eq.dataset.buyAndHold = bh.length ? String(bh.length) : '0';
      lineChart(dd, [{ name: 'drawdown', data: (run.drawdown || []).map((p) => [p[0], p[1] * 100]) }], (v) => v.toFixed(1) + '%', true);
      markTrades(run);
      drawTearSheet(run);
    } else {
      eq.replaceWith(h('div', { class: 'empty' }, 'No equity curve (the run has no result).'));
      dd.remove();
    }
  }

  // ------------------------------------------------------------ tear sheet ----
  // From the stored equity curve (docs/STORE.md: at most 500 points): returns between points,
  // annualised with the points' own spacing.
  function pointReturns(equity) {
    const out = [];
    for (let i = 1; i < equity.length; i++) {
      const [t0, v0] = equity[i - 1], [t1, v1] = equity[i];
      if (typeof v0 === 'number' && typeof v1 === 'number' && v0 > 0 && t1 > t0) out.push([t1, v1 / v0 - 1, t1 - t0]);
    }
    return out;
  }
  // Rolling Sharpe over `w` points: mean / sd of the point returns, scaled to a year by the
  // mean spacing of the window.
  function rollingSharpe(rets, w) {
    const out = [];
    const YEAR = 365.25 * 86400000;
    for (let i = w - 1; i < rets.length; i++) {
      let s = 0, s2 = 0, dt = 0;
      for (let j = i - w + 1; j <= i; j++) { s += rets[j][1]; s2 += rets[j][1] * rets[j][1]; dt += rets[j][2]; }
      const mean = s / w, sd = Math.sqrt(Math.max(0, (s2 - w * mean * mean) / (w - 1)));
      out.push([rets[i][0], sd > 0 ? (mean / sd) * Math.sqrt(YEAR / (dt / w)) : null]);
    }
    return out;
  }
  // The deepest drawdown episodes: peak, trough, recovery (null while under water), depth.
  function worstDrawdowns(equity, n) {
    const eps = [];
    let peak = null, cur = null;
    for (const [t, v] of equity) {
      if (typeof v !== 'number') continue;
      if (!peak || v >= peak.v) {
        if (cur) { cur.recovery = t; eps.push(cur); cur = null; }
        peak = { t, v };
        continue;
      }
      const depth = v / peak.v - 1;
      if (!cur) cur = { peak: peak.t, trough: t, depth, recovery: null };
      else if (depth < cur.depth) { cur.trough = t; cur.depth = depth; }
    }
    if (cur) eps.push(cur);
    return eps.sort((a, b) => a.depth - b.depth).slice(0, n);
  }
  function tearSheet(run) {
    if (!(run.equity || []).length) return null;
    const wd = worstDrawdowns(run.equity, 5);
    return h('div', { 'data-testid': 'tear-sheet' },
      h('div', { class: 'grid2 row' },
        h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Rolling Sharpe'), h('span', { class: 'sub', 'data-testid': 'rolling-window' }, '')),
          h('div', { class: 'chart short', 'data-testid': 'chart-rolling-sharpe' })),
        h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Return distribution'), h('span', { class: 'sub' }, 'returns between equity points')),
          h('div', { class: 'chart short', 'data-testid': 'chart-return-dist' }))),
      h('div', { class: 'grid2 row' },
        h('div', { class: 'card' }, h('div', { class: 'head' }, h('h2', null, 'Monthly returns'), h('span', { class: 'sub' }, 'year × month, from the equity curve (UTC)')),
          h('div', { class: 'chart short', 'data-testid': 'chart-year-month' })),
        h('div', { class: 'card' }, h('h2', null, 'Worst drawdowns'),
          wd.length ? h('table', { class: 'data', 'data-testid': 'worst-drawdowns' },
            h('thead', null, h('tr', null, h('th', null, '#'), h('th', null, 'Depth'), h('th', { class: 'l' }, 'Peak'), h('th', { class: 'l' }, 'Trough'), h('th', { class: 'l' }, 'Recovered'))),
            h('tbody', null, wd.map((e, i) => h('tr', null, h('td', null, i + 1), h('td', { class: 'neg', 'data-col': 'depth' }, (e.depth * 100).toFixed(2) + '%'),
              h('td', { class: 'l' }, fmtTs(e.peak).slice(0, 10)), h('td', { class: 'l' }, fmtTs(e.trough).slice(0, 10)), h('td', { class: 'l' }, e.recovery ? fmtTs(e.recovery).slice(0, 10) : 'not yet')))))
            : h('div', { class: 'muted' }, 'The equity never fell below a previous peak.'))));
  }
  function drawTearSheet(run) {
    const rets = pointReturns(run.equity);
    const rs = document.querySelector('[data-testid=chart-rolling-sharpe]');
    if (!rs) return;
    const w = Math.max(10, Math.min(60, Math.floor(rets.length / 5)));
    const roll = rets.length > w ? rollingSharpe(rets, w) : [];
    document.querySelector('[data-testid=rolling-window]').textContent = roll.length ? `window of ${w} equity points, annualised` : 'too few equity points';
    if (roll.length) lineChart(rs, [{ name: 'rolling Sharpe', data: roll }], (v) => fmt(v, 2));
    else rs.replaceWith(h('div', { class: 'empty' }, 'Too few equity points for a rolling Sharpe.'));
    const rd = document.querySelector('[data-testid=chart-return-dist]');
    const vals = rets.map((r) => r[1] * 100);
    if (vals.length) {
      const lo = Math.min(...vals), hi = Math.max(...vals), n = 30, bw = (hi - lo) / n || 1;
      const bins = new Array(n).fill(0);
      for (const v of vals) bins[Math.min(n - 1, Math.floor((v - lo) / bw))]++;
      chart(rd, { grid: Object.assign({}, grid, { top: 20 }), tooltip: { trigger: 'axis' },
        xAxis: Object.assign({ type: 'category', data: bins.map((_, i) => (lo + bw * (i + 0.5)).toFixed(legendPrecision(lo, hi))) }, axisName('return %')),
        yAxis: { type: 'value', name: 'count' },
        series: [{ name: 'returns', type: 'bar', data: bins.map((c, i) => ({ value: c, itemStyle: { color: lo + bw * (i + 0.5) >= 0 ? DIVERGING[5] : DIVERGING[1] } })) }] },
      `histogram of ${vals.length} returns between equity points, from ${lo.toFixed(2)}% to ${hi.toFixed(2)}%`);
    } else rd.replaceWith(h('div', { class: 'empty' }, 'No returns.'));
    const ym = document.querySelector('[data-testid=chart-year-month]');
    const months = monthRange([run.equity]);
    const mr = monthlyReturns(run.equity, months);
    const years = [...new Set(months.map((m) => m.slice(0, 4)))];
    const data = [...mr].map(([m, v]) => [+m.slice(5) - 1, years.indexOf(m.slice(0, 4)), +(v * 100).toFixed(2)]);
    if (data.length) {
      const lim = Math.max(0.01, ...data.map((d) => Math.abs(d[2])));
      ym.style.height = Math.max(160, 70 + 30 * years.length) + 'px';
      chart(ym, { grid: { left: 60, right: 80, top: 10, bottom: 40 },
        tooltip: { formatter: (p) => `${years[p.data[1]]}-${String(p.data[0] + 1).padStart(2, '0')}: <b>${p.data[2].toFixed(2)}%</b>` },
        xAxis: { type: 'category', data: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'], splitArea: { show: true } },
        yAxis: { type: 'category', data: years, inverse: true, splitArea: { show: true } },
        visualMap: { min: -lim, max: lim, calculable: true, right: 0, top: 'middle', text: ['%', ''], precision: legendPrecision(-lim, lim), inRange: { color: DIVERGING } },
        series: [{ type: 'heatmap', name: 'monthly return', data, label: { show: true, formatter: (p) => p.data[2].toFixed(1), fontSize: 10 } }] },
      `monthly returns for ${data.length} months over ${years.length} years`);
    } else ym.replaceWith(h('div', { class: 'empty' }, 'No monthly returns.'));
  }

  function markTrades(run) {
    // Trade exits as points on the equity curve: green wins, red losses.
    const c = charts[0];
    if (!c || !(run.trades || []).length || run.trades.length > 2000) return;
    const eqs = run.equity;
    const at = (ts) => { let lo = 0, hi = eqs.length - 1; while (lo < hi) { const mid = (lo + hi) >> 1; if (eqs[mid][0] < ts) lo = mid + 1; else hi = mid; } return eqs[lo][1]; };
    const pts = run.trades.filter((t) => isFinite(toMs(t.exit_time))).map((t) => ({ value: [toMs(t.exit_time), at(toMs(t.exit_time))], itemStyle: { color: t.pnl >= 0 ? '#1f9d6b' : '#d64545' } }));
    const lines = (c.getOption().series || []).length; // equity, and buy and hold when drawn
    c.setOption({ series: Array.from({ length: lines }, () => ({})).concat([{ name: 'trade exits', type: 'scatter', symbolSize: 5, data: pts, z: 3 }]) });
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
