// The overfitting panel of an optimization's report.html (issue 18): how much of the winner is
// luck. Drawn from optimization_result.json's `overfitting` and `validation` blocks, which the
// producer embeds in report.html as <script type="application/json" id="analysis"> once the
// analysis is written (producer/outputs.cc); the live explorer has no such element, so the panel
// appears in reports only. Meaning of every figure: docs/STATISTICS.md.
//
//   window.S1mpleOverfitting.panel(chart) -> null | {element, draw()}
// `chart(el, option, alt)` is the page's chart helper (ECharts with a text alternative); draw()
// runs once the element is in the document.
(function () {
  const ANALYSIS = (function () {
    const el = document.getElementById('analysis');
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  })();

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) e.setAttribute(k, v);
    for (const k of kids.flat()) if (k != null) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  function num(v, digits) {
    if (v == null || !isFinite(v)) return '—';
    const d = digits == null ? 3 : digits;
    return Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v).toFixed(d);
  }
  function kpi(label, value, testid, hint, cls) {
    return el('div', { class: 'kpi', 'data-testid': testid },
      el('div', { class: 'label' }, label), el('div', { class: 'value ' + (cls || '') }, value),
      hint ? el('div', { class: 'hint' }, hint) : null);
  }
  function params(p) {
    return Object.entries(p || {}).map(([k, v]) => k.split('.').pop() + '=' + (typeof v === 'string' ? v : JSON.stringify(v))).join(' ');
  }

  function panel(chart) {
    if (!ANALYSIS) return null;
    const of = ANALYSIS.overfitting || {};
    const v = ANALYSIS.validation || null;
    const dsr = of.deflated_sharpe_ratio;
    const pbo = of.probability_of_backtest_overfitting;
    const draws = [];
    const card = el('div', { class: 'card', 'data-testid': 'overfitting-panel' },
      el('div', { class: 'head' }, el('h2', null, 'Overfitting: how much of the winner is luck?'),
        el('span', { class: 'sub' }, 'docs/STATISTICS.md · a winner is worth trading when DSR is high and PBO low' +
          (v ? ', and it held up out of sample' : ''))));
    const kpis = el('div', { class: 'kpis' },
      kpi('Deflated Sharpe ratio', dsr ? num(dsr.value) : '—', 'overfitting-dsr',
        dsr ? `P(true Sharpe > ${num(dsr.sr0, 4)} per day, the best of ${of.trials} trials by luck)` : (of.deflated_sharpe_ratio_note || ''),
        dsr ? (dsr.value >= 0.95 ? 'pos' : dsr.value < 0.5 ? 'neg' : '') : ''),
      kpi('Probability of backtest overfitting', pbo ? num(pbo.value) : '—', 'overfitting-pbo',
        pbo ? `CSCV over ${pbo.cscv_blocks} blocks, ${pbo.cscv_splits} splits` : (of.probability_of_backtest_overfitting_note || ''),
        pbo ? (pbo.value <= 0.1 ? 'pos' : pbo.value >= 0.5 ? 'neg' : '') : ''),
      kpi('P(OOS loss)', num(of.probability_of_oos_loss), 'overfitting-oos-loss', 'share of CSCV splits whose IS winner lost OOS'),
      kpi('Trials', of.trials != null ? String(of.trials) : '—', 'overfitting-trials',
        `${of.trials_failed || 0} failed, ${of.trials_rejected_by_constraints || 0} rejected by the constraints`));
    card.append(kpis);

    if (v && v.mode !== 'cpcv') {
      const wfe = v.walk_forward_efficiency;
      const st = v.stitched_out_of_sample;
      kpis.append(
        kpi('Walk-forward efficiency', wfe && wfe.value != null ? num(wfe.value, 2) : '—', 'overfitting-wfe',
          wfe ? `mean OOS / mean IS ${wfe.metric} of the fold winners (${num(wfe.mean_out_of_sample)} / ${num(wfe.mean_in_sample)})` : 'no fold has both',
          wfe && wfe.value != null ? (wfe.value >= 0.5 ? 'pos' : wfe.value <= 0 ? 'neg' : '') : ''),
        kpi('Stitched OOS Sharpe', st ? num(st.sharpe_ratio, 2) : '—', 'overfitting-stitched-sharpe',
          st ? `${st.start} .. ${st.end}, ${st.days} days · return ${num(st.total_return, 1)} % · max DD ${num(st.max_drawdown, 1)} %` : ''));
      const rows = (v.folds || []).map((f) => el('tr', { 'data-testid': 'fold-row' },
        el('td', null, String(f.fold)),
        el('td', null, `${f.in_sample.start} .. ${f.in_sample.end}`),
        el('td', null, `${f.out_of_sample.start} .. ${f.out_of_sample.end}`),
        el('td', null, f.winner ? params(f.winner.parameters) : (f.winner_note || '—')),
        el('td', { class: 'num' }, f.winner ? num(f.winner.in_sample[v.primary_metric]) : '—'),
        el('td', { class: 'num' }, f.winner && f.winner.out_of_sample ? num(f.winner.out_of_sample[v.primary_metric]) : '—'),
        el('td', { class: 'num' }, num(f.is_oos_rank_correlation, 2))));
      card.append(el('div', { class: 'head' }, el('h3', null, `Validation: ${v.mode === 'holdout' ? 'holdout' : 'walk-forward'}, ${(v.folds || []).length} folds`),
        el('span', { class: 'sub' }, v.selection)));
      card.append(el('div', { class: 'tablewrap' }, el('table', { class: 'runs', 'data-testid': 'folds-table' },
        el('thead', null, el('tr', null, ...['fold', 'in sample', 'out of sample', 'winner (chosen in sample)', 'IS ' + v.primary_metric, 'OOS ' + v.primary_metric, 'IS/OOS rank corr.'].map((t) => el('th', null, t)))),
        el('tbody', null, rows))));
      const folds = el('div', { class: 'chart', 'data-testid': 'chart-folds' });
      const scatter = el('div', { class: 'chart', 'data-testid': 'chart-is-oos' });
      const stitched = el('div', { class: 'chart', 'data-testid': 'chart-stitched' });
      card.append(el('div', { class: 'grid2 row' }, folds, scatter), stitched);
      draws.push(() => {
        const fs = (v.folds || []).filter((f) => f.winner);
        chart(folds, {
          title: { text: 'Fold winners: in sample vs out of sample', textStyle: { fontSize: 13 } },
          tooltip: { trigger: 'axis' }, legend: { top: 22 }, grid: { top: 56, left: 50, right: 16, bottom: 30 },
          xAxis: { type: 'category', data: fs.map((f) => 'fold ' + f.fold) }, yAxis: { type: 'value', name: v.primary_metric },
          series: [{ name: 'in sample', type: 'bar', data: fs.map((f) => f.winner.in_sample[v.primary_metric]) },
            { name: 'out of sample', type: 'bar', data: fs.map((f) => f.winner.out_of_sample ? f.winner.out_of_sample[v.primary_metric] : null) }],
        }, `bar chart: in-sample and out-of-sample ${v.primary_metric} of the winner of each of ${fs.length} folds`);
        const pts = (v.is_vs_oos && v.is_vs_oos.points) || [];
        chart(scatter, {
          title: { text: `Every configuration: IS vs OOS ${v.primary_metric}`, textStyle: { fontSize: 13 } },
          tooltip: { formatter: (p) => `fold ${p.data[2]} · configuration ${p.data[3]}<br>IS ${num(p.data[0])} · OOS ${num(p.data[1])}` },
          legend: { top: 22 }, grid: { top: 56, left: 50, right: 16, bottom: 36 },
          xAxis: { type: 'value', name: 'in sample', nameLocation: 'middle', nameGap: 22, scale: true },
          yAxis: { type: 'value', name: 'out of sample', scale: true },
          series: [{ name: 'configurations', type: 'scatter', symbolSize: 4, data: pts.filter((p) => !p[4]).map((p) => [p[2], p[3], p[0], p[1]]) },
            { name: 'fold winners', type: 'scatter', symbolSize: 10, data: pts.filter((p) => p[4]).map((p) => [p[2], p[3], p[0], p[1]]) }],
        }, `scatter: in-sample against out-of-sample ${v.primary_metric} of ${pts.length} configuration-folds`);
        if (st && st.equity_curve) {
          chart(stitched, {
            title: { text: 'Stitched out-of-sample equity (each fold\'s winner on its OOS window)', textStyle: { fontSize: 13 } },
            tooltip: { trigger: 'axis' }, grid: { top: 40, left: 50, right: 16, bottom: 30 },
            xAxis: { type: 'category', data: st.equity_curve.map((p) => p[0]) }, yAxis: { type: 'value', scale: true },
            series: [{ name: 'stitched OOS equity', type: 'line', showSymbol: false, data: st.equity_curve.map((p) => p[1]) }],
          }, `line chart: stitched out-of-sample equity over ${st.days} days, ending at ${num(st.equity_curve[st.equity_curve.length - 1][1])}`);
        }
      });
    } else if (v && v.mode === 'cpcv') {
      const paths = v.paths || [];
      kpis.append(
        kpi('CPCV PBO', num(v.probability_of_backtest_overfitting), 'overfitting-cpcv-pbo', `${(v.splits_detail || []).length} splits of ${v.groups} groups, ${v.test_groups} tested`),
        kpi('CPCV mean OOS Sharpe / day', num(v.mean_out_of_sample_sharpe_per_day, 4), 'overfitting-cpcv-oos', 'IS ' + num(v.mean_in_sample_sharpe_per_day, 4)));
      const pc = el('div', { class: 'chart', 'data-testid': 'chart-cpcv-paths' });
      card.append(pc);
      draws.push(() => chart(pc, {
        title: { text: 'CPCV out-of-sample paths: Sharpe ratio', textStyle: { fontSize: 13 } },
        tooltip: { trigger: 'axis' }, grid: { top: 40, left: 50, right: 16, bottom: 30 },
        xAxis: { type: 'category', data: paths.map((p) => 'path ' + p.path) }, yAxis: { type: 'value' },
        series: [{ name: 'Sharpe ratio', type: 'bar', data: paths.map((p) => p.sharpe_ratio) }],
      }, `bar chart: the Sharpe ratio of ${paths.length} CPCV out-of-sample paths`));
    }
    return { element: card, draw() { for (const d of draws) d(); } };
  }

  window.S1mpleOverfitting = { panel, analysis: ANALYSIS };
})();
