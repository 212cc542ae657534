// The Trade Explorer end to end in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core from ui/node_modules; no browser download).
//
//   node tests/ui/e2e.mjs --fixture PATH/explorer_fixture --work DIR --screens DIR
//
// Starts explorer_fixture (a store of real engine results served on a free loopback port),
// then, checking what is shown against the JSON API: the sweeps list with live progress and
// runners; an optimization sweep (sort the table, filter it, choose heatmap axes, scatter
// plots, causality); a run (metrics, trades, reproduce command, charts); the variant view
// (equity, drawdown, trade histogram, monthly returns, causal breakdown); and report.html from
// file:// with every network request blocked. Saves screenshots in --screens. Every wait is
// bounded; the whole test is bounded by a watchdog. Exit code 0 = every check passed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const { chromium } = await import(pathToFileURL(join(root, 'ui/node_modules/playwright-core/index.mjs')).href)
  .catch((e) => { console.error('e2e: playwright-core missing (run scripts/setup or `npm ci` in ui/):', e.message); process.exit(1); });

const args = process.argv.slice(2);
const arg = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const fixtureBin = arg('--fixture');
const s1mpleBin = arg('--s1mple', join(root, 'build/cli/s1mple'));
const work = resolve(arg('--work', join(tmpdir(), 'explorer-e2e')));
const screens = resolve(arg('--screens', join(work, 'screens')));
const WAIT = 15000; // every single wait
const TOTAL = 180000; // the whole test

let fixture = null;
let fixtureLines = null;
let liveBroker = null; // `s1mple broker --http` over the constrained sweep's store
// Runs n more jobs of the fixture's running sweep; resolves when it says so.
function advance(n) {
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error('fixture did not advance within 30 s')), 30000);
    fixtureLines.once('line', (line) => { clearTimeout(t); line.startsWith('advanced') ? res() : rej(new Error(line)); });
    fixture.stdin.write(`advance ${n}\n`);
  });
}
let browserContext = null;
let profileDir = null;
let passed = 0;
let failed = 0;

async function cleanup() {
  try { if (browserContext) await browserContext.close(); } catch (e) { /* already gone */ }
  if (fixture && fixture.exitCode == null) { fixture.stdin.end(); fixture.kill('SIGTERM'); }
  if (liveBroker && liveBroker.exitCode == null) liveBroker.kill('SIGKILL');
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
}
const watchdog = setTimeout(async () => {
  console.error(`e2e: watchdog: not finished within ${TOTAL / 1000} s`);
  await cleanup();
  process.exit(1);
}, TOTAL);

function check(cond, what) {
  if (cond) { passed++; console.log('  ok   ' + what); } else { failed++; console.log('  FAIL ' + what); }
}
// A number as the page shows it ("1,234.56", "12.5%", "—") is the API value rounded to the
// digits shown.
function shows(text, value) {
  if (value == null) return text.trim() === '—';
  const t = text.replace(/[,%\s]/g, '');
  const n = Number(t);
  if (!isFinite(n)) return false;
  const decimals = (t.split('.')[1] || '').length;
  return Math.abs(n - value) <= 0.5 * 10 ** -decimals + 1e-9;
}

async function startFixture() {
  mkdirSync(work, { recursive: true });
  fixture = spawn(fixtureBin, ['--store', join(work, 'store'), '--out', join(work, 'out'), '--serve'],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, S1MPLE_ROOT: process.env.S1MPLE_ROOT || root } });
  const rl = createInterface({ input: fixture.stdout });
  fixtureLines = rl;
  return await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error('fixture printed nothing within 90 s')), 90000);
    rl.once('line', (line) => { clearTimeout(t); res(JSON.parse(line)); });
    fixture.once('exit', (code) => { clearTimeout(t); rej(new Error('fixture exited with ' + code)); });
  });
}

async function api(base, path) {
  const res = await fetch(new URL(path, base));
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

// The ECharts option of the chart in [data-testid=testid] (null when there is none).
const chartOption = (page, testid) => page.evaluate((id) => {
  const el = document.querySelector(`[data-testid="${id}"]`);
  const inst = el && window.echarts.getInstanceByDom(el);
  if (!inst) return null;
  const o = inst.getOption();
  return { series: o.series.map((s) => ({ type: s.type, name: s.name, n: (s.data || []).length, data: s.data })),
    xAxis: o.xAxis && o.xAxis.map((a) => a.data), yAxis: o.yAxis && o.yAxis.map((a) => a.data) };
}, testid);

async function cellTexts(page, col) {
  return page.$$eval(`[data-testid=runs-table] tbody tr td[data-col="${col}"]`, (tds) => tds.map((td) => td.textContent));
}

async function main() {
  if (!fixtureBin) throw new Error('--fixture PATH is required');
  mkdirSync(screens, { recursive: true });
  const info = await startFixture();
  console.log('e2e: fixture serving ' + info.url);
  const base = info.url;

  profileDir = mkdtempSync(join(tmpdir(), 'explorer-chromium-'));
  browserContext = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    viewport: { width: 1440, height: 900 },
    timeout: 60000,
  });
  browserContext.setDefaultTimeout(WAIT);
  // Nothing may leave this machine: only the fixture's and our broker's loopback origins (and
  // file:// reports).
  const offsite = [];
  const local = [base];
  await browserContext.route('**/*', (route) => {
    const url = route.request().url();
    if (local.some((o) => url.startsWith(o)) || url.startsWith('file://') || url.startsWith('data:')) return route.continue();
    offsite.push(url);
    return route.abort();
  });
  const page = browserContext.pages()[0] || await browserContext.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push('console: ' + m.text()); });
  const badResponses = [];
  page.on('response', (r) => { if (r.status() >= 400) badResponses.push(r.status() + ' ' + r.url()); });
  const titles = new Set();

  // ---- sweeps list -------------------------------------------------------------------------
  console.log('sweeps list');
  await page.goto(base);
  await page.waitForSelector('[data-testid=sweep-row]');
  const rows = await page.$$('[data-testid=sweep-row]');
  check(rows.length === 3, `three sweeps listed (got ${rows.length})`);
  const sweepsDoc = await api(base, 'api/sweeps');
  const runningRow = page.locator(`[data-testid=sweep-row][data-id="${info.running}"]`);
  check((await runningRow.locator('[data-testid=sweep-state]').textContent()) === 'active', 'running sweep shown as active');
  const runningDoc = sweepsDoc.sweeps.find((s) => s.id === info.running);
  const progress = await runningRow.locator('.progress-label').textContent();
  check(progress.includes(`${runningDoc.counts.done + runningDoc.counts.failed} / ${runningDoc.counts.total}`), `progress label "${progress}" matches the API counts`);
  check((await page.locator('[data-testid=runners-summary]').textContent()).startsWith('2 connected'), 'runners panel lists the two runners');
  // Live progress: three more jobs finish; the page shows it on its next poll, with a rate.
  const before = runningDoc.counts.done + runningDoc.counts.failed;
  await advance(3);
  const label = `${before + 3} / ${runningDoc.counts.total}`;
  await runningRow.locator('.progress-label').filter({ hasText: label }).waitFor();
  check(true, `progress updated live to "${label}"`);
  await page.waitForFunction((id) => {
    const td = document.querySelector(`[data-testid=sweep-row][data-id="${id}"] td[data-col=rate]`);
    return td && td.textContent.endsWith('/s');
  }, info.running);
  check(true, 'rate shown once jobs finish between polls: ' + await runningRow.locator('td[data-col=rate]').textContent());
  await page.screenshot({ path: join(screens, 'sweeps.png'), fullPage: true });
  titles.add(await page.title());
  // Keyboard: a sweep row is reachable and opens with Enter.
  check(await page.locator(`[data-testid=sweep-row][data-id="${info.optimization}"]`).getAttribute('tabindex') === '0', 'sweep rows are reachable with Tab');

  // ---- optimization ------------------------------------------------------------------------
  console.log('optimization sweep');
  const optRuns = (await api(base, `api/sweeps/${info.optimization}/runs?limit=5000`)).runs;
  const optSweep = await api(base, `api/sweeps/${info.optimization}`);
  await page.locator(`[data-testid=sweep-row][data-id="${info.optimization}"]`).click();
  await page.waitForSelector('[data-testid=runs-table] tbody tr[data-index]');
  check((await page.$$('[data-testid=runs-table] tbody tr[data-index]')).length === optRuns.length, `table has all ${optRuns.length} runs`);
  check(optSweep.params.length === 3, `three varied parameter columns (${optSweep.params.join(', ')})`);
  // The live page reads /table (columns); rebuilt, its rows are /runs' rows exactly.
  const table = await api(base, `api/sweeps/${info.optimization}/table`);
  const rebuilt = await page.evaluate((t) => window.__s1mpleTableRows(t).runs, table);
  const canon = (v) => JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((y) => [y, x[y]])) : x));
  check(table.count === optRuns.length && canon(rebuilt) === canon(optRuns), `/table rebuilt in the page equals /runs (${table.count} runs)`);
  for (const p of optSweep.params) check(await page.locator(`[data-testid=runs-table] th[data-col="${p}"]`).count() === 1, `column ${p} shown`);

  // Opens sorted by the primary metric (Sharpe), best first; a click on its header flips it;
  // another column sorts by that column.
  const sharpes = optRuns.map((r) => r.metrics && r.metrics.sharpe_ratio).filter((v) => typeof v === 'number');
  let col = await cellTexts(page, 'sharpe_ratio');
  check(shows(col[0], Math.max(...sharpes)), `opens best first: first Sharpe ${col[0]} is the max ${Math.max(...sharpes)}`);
  await page.click('[data-testid=runs-table] th[data-col=total_trades]');
  const trades = await cellTexts(page, 'total_trades');
  const maxTrades = Math.max(...optRuns.filter((r) => r.metrics).map((r) => r.metrics.total_trades));
  check(shows(trades[0], maxTrades), `sorted by trades: first ${trades[0]} is the max ${maxTrades}`);
  await page.click('[data-testid=runs-table] th[data-col=sharpe_ratio]');
  col = await cellTexts(page, 'sharpe_ratio');
  check(shows(col[0], Math.max(...sharpes)), `sorted by Sharpe descending: first ${col[0]}`);
  await page.click('[data-testid=runs-table] th[data-col=sharpe_ratio]');
  col = await cellTexts(page, 'sharpe_ratio');
  check(shows(col[0], Math.min(...sharpes)), `sorted ascending: first Sharpe ${col[0]} is the min ${Math.min(...sharpes)}`);
  const idxs = await page.$$eval('[data-testid=runs-table] tbody tr[data-index]', (trs) => trs.map((t) => +t.dataset.index));
  const apiOrder = optRuns.filter((r) => r.metrics).sort((a, b) => a.metrics.sharpe_ratio - b.metrics.sharpe_ratio).map((r) => r.index);
  check(JSON.stringify(idxs.slice(0, apiOrder.length)) === JSON.stringify(apiOrder), 'row order equals the API sorted by Sharpe');

  // Filter.
  await page.fill('[data-testid=runs-filter]', 'status=failed');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=runs-table] tbody tr[data-index]').length === 1);
  check((await page.locator('[data-testid=runs-count]').textContent()).includes('filtered from 13'), 'filter status=failed leaves the one failed run');
  const fastVals = optRuns.filter((r) => r.params['trend_follower.fast_period'] === 16).length;
  await page.fill('[data-testid=runs-filter]', 'fast_period=16');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=runs-table] tbody tr[data-index]').length === n, fastVals);
  check(true, `filter fast_period=16 shows ${fastVals} runs`);
  await page.fill('[data-testid=runs-filter]', '');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=runs-table] tbody tr[data-index]').length === n, optRuns.length);

  // Scatter plots and causality.
  const rr = await chartOption(page, 'chart-risk-return');
  const done = optRuns.filter((r) => r.metrics);
  check(rr && rr.series[0].n === done.length, `risk/return scatter has ${done.length} points`);
  const sd = await chartOption(page, 'chart-sharpe-dd');
  check(sd && sd.series[0].n === done.filter((r) => r.metrics.sharpe_ratio != null).length, 'sharpe/drawdown scatter has a point per run with a Sharpe');
  const cause = await chartOption(page, 'chart-causality');
  check(cause && cause.series.length === 3 && cause.series[0].n === done.length, 'causality chart: detected / rejected / threats per configuration');

  // Heatmap: X = slow period, Y = ATR multiplier, metric = total return, mean.
  const xp = optSweep.params.find((p) => p.endsWith('slow_period'));
  const yp = optSweep.params.find((p) => p.endsWith('atr_multiplier'));
  await page.selectOption('[data-testid=heatmap-x]', xp);
  await page.selectOption('[data-testid=heatmap-y]', yp);
  await page.selectOption('[data-testid=heatmap-metric]', 'total_return');
  await page.selectOption('[data-testid=heatmap-agg]', 'mean');
  const hm = await chartOption(page, 'chart-heatmap');
  const xs = [...new Set(done.map((r) => r.params[xp]))].sort((a, b) => a - b);
  const ys = [...new Set(done.map((r) => r.params[yp]))].sort((a, b) => a - b);
  check(hm && hm.xAxis[0].length === xs.length && hm.yAxis[0].length === ys.length, `heatmap axes ${xp} (${xs.length}) x ${yp} (${ys.length})`);
  check(hm && hm.series[0].n === xs.length * ys.length, 'heatmap has a cell per parameter pair');
  const cell = hm.series[0].data.find((d) => d[0] === 0 && d[1] === 0);
  const inCell = done.filter((r) => r.params[xp] === xs[0] && r.params[yp] === ys[0]).map((r) => r.metrics.total_return);
  const mean = inCell.reduce((a, b) => a + b, 0) / inCell.length;
  check(cell && Math.abs(cell[2] - mean) < 1e-4 * Math.max(1, Math.abs(mean)), `heatmap cell (${xs[0]}, ${ys[0]}) = mean total return ${mean.toFixed(4)}`);
  await page.screenshot({ path: join(screens, 'optimization.png'), fullPage: true });
  titles.add(await page.title());
  await decisionViews(page, optSweep, optRuns);

  // ---- a run -------------------------------------------------------------------------------
  console.log('a run');
  await page.click('[data-testid=runs-table] th[data-col=sharpe_ratio]'); // back to descending
  check(shows((await cellTexts(page, 'sharpe_ratio'))[0], Math.max(...sharpes)), 'second click sorts descending again');
  const best = done.slice().sort((a, b) => b.metrics.sharpe_ratio - a.metrics.sharpe_ratio)[0];
  await page.click(`[data-testid=runs-table] tbody tr[data-index="${best.index}"]`);
  await page.waitForSelector('[data-testid=run-title]');
  const run = await api(base, `api/sweeps/${info.optimization}/runs/${best.index}`);
  check((await page.locator('[data-testid=run-title]').textContent()).startsWith('Run #' + best.index), `run #${best.index} (best Sharpe) opened`);
  for (const m of ['sharpe_ratio', 'total_return', 'max_drawdown', 'total_trades']) {
    const text = await page.locator(`[data-testid=metric-${m}]`).textContent();
    check(shows(text, run.metrics[m]), `${m} shows ${text} = API ${run.metrics[m]}`);
  }
  check((await page.locator('[data-testid=reproduce]').textContent()) === run.reproduce, 'reproduce command shown: ' + run.reproduce);
  check(run.reproduce.startsWith(`s1mple job ${info.optimization}/${best.index} --export `), 'reproduce command names sweep and index');
  check((await page.locator('[data-testid=trades-count]').textContent()).startsWith(run.trades.length + ' trades'), `${run.trades.length} trades counted`);
  const shownTrades = await page.$$('[data-testid=trades-table] tbody tr');
  check(shownTrades.length === Math.min(1000, run.trades.length) && run.trades.length > 0, 'trades table lists the trades');
  const eq = await chartOption(page, 'chart-run-equity');
  check(eq && eq.series[0].n === run.equity.length && run.equity.length > 10, `equity chart has the ${run.equity.length} equity points`);
  const dd = await chartOption(page, 'chart-run-drawdown');
  check(dd && dd.series[0].n === run.drawdown.length, 'drawdown chart drawn');
  // Buy and hold of the same data, at the equity curve's points, drawn beside it with a legend.
  check(run.buy_and_hold.length === run.equity.length && run.buy_and_hold.every((p, i) => p[0] === run.equity[i][0]) &&
    run.buy_and_hold[0][1] === run.equity[0][1], `API: buy and hold at the ${run.equity.length} equity points, starting at the initial capital`);
  const bhLine = await page.$eval('[data-testid=chart-run-equity]', (el) => {
    const o = window.echarts.getInstanceByDom(el).getOption();
    const s = o.series.find((x) => x.name === 'buy and hold');
    // The legend lists every named series unless given a list of its own.
    const legend = o.legend && o.legend[0] && o.legend[0].show !== false && (!o.legend[0].data || !o.legend[0].data.length || o.legend[0].data.includes('buy and hold'));
    return s ? { n: s.data.length, last: s.data[s.data.length - 1], legend } : null;
  });
  const bhLast = run.buy_and_hold[run.buy_and_hold.length - 1];
  check(bhLine && bhLine.legend && bhLine.n === run.buy_and_hold.length && bhLine.last[1] === bhLast[1] && bhLine.last[0] === bhLast[0],
    `equity chart draws the buy-and-hold line (${bhLine && bhLine.n} points, ends at ${bhLast[1]})`);
  await page.screenshot({ path: join(screens, 'run.png'), fullPage: true });
  titles.add(await page.title());
  await tearSheet(page, run);

  // A failed run shows its reason and attempt history.
  const failedRun = optRuns.find((r) => r.status === 'failed');
  await page.goto(`${base}#/sweep/${info.optimization}/run/${failedRun.index}`);
  await page.waitForSelector('[data-testid=run-failure]');
  const failText = await page.locator('[data-testid=run-failure]').textContent();
  check(failText.includes('timeout') && (failText.match(/attempt/g) || []).length >= 3, 'failed run shows its reason and every attempt');

  // ---- variant -----------------------------------------------------------------------------
  console.log('variant sweep');
  const varRuns = (await api(base, `api/sweeps/${info.variant}/runs`)).runs;
  await page.goto(`${base}#/sweep/${info.variant}`);
  await page.waitForSelector('[data-testid=variant-metrics] tbody tr');
  const vrows = await page.$$eval('[data-testid=variant-metrics] tbody tr', (trs) => trs.map((t) => t.querySelector('[data-testid=variant-name]').textContent));
  check(JSON.stringify(vrows) === JSON.stringify(varRuns.map((r) => r.name)), 'comparative metrics table lists the variants by name: ' + vrows.join(', '));
  const sharpeCells = await page.$$eval('[data-testid=variant-metrics] tbody td[data-col=sharpe_ratio]', (tds) => tds.map((t) => t.textContent));
  check(sharpeCells.every((t, i) => shows(t, varRuns[i].metrics.sharpe_ratio)), 'variant Sharpe ratios match the API');
  await page.waitForFunction(() => !!window.echarts.getInstanceByDom(document.querySelector('[data-testid=chart-monthly]')));
  for (const id of ['chart-equity', 'chart-drawdown', 'chart-trade-dist']) {
    const o = await chartOption(page, id);
    check(o && o.series.length === varRuns.length && o.series.every((s) => s.n > 0), `${id}: one series per variant`);
  }
  const mo = await chartOption(page, 'chart-monthly');
  check(mo && mo.yAxis[0].length === varRuns.length && mo.xAxis[0].length >= 12 && mo.series[0].n > 12, `monthly returns: ${mo && mo.xAxis[0].length} months x ${varRuns.length} variants`);
  const vc = await chartOption(page, 'chart-variant-causality');
  check(vc && vc.series.length === 3 && vc.series[0].data.every((v, i) => v === varRuns[i].causality.opportunities_detected), 'causal breakdown: opportunities per variant match the API');
  await page.screenshot({ path: join(screens, 'variant.png'), fullPage: true });
  titles.add(await page.title());
  check(titles.size === 4, `every view has its own page title (${[...titles].join(' | ')})`);

  // ---- report.html offline -----------------------------------------------------------------
  console.log('report.html from file://');
  const reportPage = await browserContext.newPage();
  const requests = [];
  reportPage.on('request', (r) => { if (!r.url().startsWith('file://') && !r.url().startsWith('data:')) requests.push(r.url()); });
  reportPage.on('pageerror', (e) => pageErrors.push('report: ' + String(e)));
  await reportPage.goto(pathToFileURL(info.report).href);
  await reportPage.waitForSelector('[data-testid=runs-table] tbody tr[data-index]');
  check((await reportPage.$$('[data-testid=runs-table] tbody tr[data-index]')).length === optRuns.length, 'report: table has every run');
  check((await reportPage.locator('[data-testid=mode]').textContent()).includes('offline'), 'report: says it is an offline report');
  const rhm = await chartOption(reportPage, 'chart-heatmap');
  check(rhm && rhm.series[0].n > 0, 'report: heatmap rendered');
  await reportPage.screenshot({ path: join(screens, 'report.png'), fullPage: true });
  await reportPage.click(`[data-testid=runs-table] tbody tr[data-index="${best.index}"]`);
  await reportPage.waitForSelector('[data-testid=run-title]');
  const reqo = await chartOption(reportPage, 'chart-run-equity');
  check(reqo && reqo.series[0].n === run.equity.length, 'report: the best run opens with its equity curve');
  check(reqo && reqo.series.some((x) => x.name === 'buy and hold' && x.n === run.buy_and_hold.length), 'report: and its buy-and-hold line');
  await reportPage.goto(pathToFileURL(info.report_variant).href);
  await reportPage.waitForSelector('[data-testid=variant-metrics] tbody tr');
  await reportPage.waitForFunction(() => !!window.echarts.getInstanceByDom(document.querySelector('[data-testid=chart-monthly]')));
  const veq = await chartOption(reportPage, 'chart-equity');
  check(veq && veq.series.length === varRuns.length, 'variant report: equity curves of every variant');
  await reportPage.screenshot({ path: join(screens, 'report-variant.png'), fullPage: true });
  check(requests.length === 0, `report made no network request (${requests.join(' ') || 'none'})`);

  await constrainedBest(page, local);
  await eightVariants(page);
  await overfittingPanel(page);

  check(offsite.length === 0, `no request left the machine (${offsite.join(' ') || 'none'})`);
  check(pageErrors.length === 0, `no script error (${pageErrors.join(' | ') || 'none'})`);
  check(badResponses.length === 0, `no request failed, favicon included (${badResponses.join(' ') || 'none'})`);
}

// ---- columns, keyboard, colour scales and the decision views of an optimization -----------
const viewOption = (page, testid) => page.evaluate((id) => {
  const el = document.querySelector(`[data-testid="${id}"]`);
  const inst = el && window.echarts.getInstanceByDom(el);
  return inst ? JSON.parse(JSON.stringify(inst.getOption(), (k, v) => (typeof v === 'function' ? undefined : v))) : null;
}, testid);

async function decisionViews(page, sweep, runs) {
  console.log('columns, keyboard, colour scales, decision views');
  const done = runs.filter((r) => r.metrics);
  const pm = sweep.plan.primary_metric;
  // Short parameter names, the full name on hover.
  for (const p of sweep.params) {
    const th = page.locator(`[data-testid=runs-table] th[data-col="${p}"]`);
    const text = (await th.textContent()).replace(/[▲▼]/g, '');
    check(text === p.split('.').pop() && (await th.getAttribute('title')).startsWith(p), `column ${p} shows "${text}", the full name on hover`);
  }
  // The run and primary-metric columns come first and stick.
  const heads = await page.$$eval('[data-testid=runs-table] thead th', (ths) => ths.map((t) => [t.dataset.col, getComputedStyle(t).position]));
  check(heads[0][0] === '#' && heads[1][0] === pm && heads[0][1] === 'sticky' && heads[1][1] === 'sticky', `# and ${pm} are the first columns and sticky (${JSON.stringify(heads.slice(0, 2))})`);
  const overlap = await page.$$eval('[data-testid=runs-table] thead th', (ths) => ths.slice(0, 4).map((t) => t.getBoundingClientRect())
    .some((r, i, a) => i + 1 < a.length && r.right > a[i + 1].left + 1));
  check(!overlap, 'unscrolled, the sticky columns do not cover the next ones');
  // At a narrow window, scrolled to the far right, the primary metric is still in view.
  await page.setViewportSize({ width: 700, height: 900 });
  const inView = await page.evaluate((m) => {
    const sc = document.querySelector('[data-testid=runs-table]').closest('.scroll');
    sc.scrollLeft = sc.scrollWidth;
    const th = document.querySelector(`[data-testid=runs-table] th[data-col="${m}"]`).getBoundingClientRect();
    const box = sc.getBoundingClientRect();
    return sc.scrollLeft > 0 && th.left >= box.left - 1 && th.right <= box.right + 1;
  }, pm);
  check(inView, `scrolled right at 700 px, the ${pm} column stays in view`);
  await page.setViewportSize({ width: 1440, height: 900 });
  // Column chooser.
  await page.click('[data-testid=column-chooser] summary');
  await page.uncheck('[data-testid=column-chooser] input[data-col=sortino_ratio]');
  check(await page.locator('[data-testid=runs-table] th[data-col=sortino_ratio]').count() === 0, 'column chooser hides a column');
  await page.check('[data-testid=column-chooser] input[data-col=sortino_ratio]');
  check(await page.locator('[data-testid=runs-table] th[data-col=sortino_ratio]').count() === 1, 'and shows it again');
  await page.click('[data-testid=column-chooser] summary');
  // Keyboard: sort with Enter on a focused header, open a run with Enter on a focused row.
  await page.focus('[data-testid=runs-table] th[data-col=total_trades]');
  await page.keyboard.press('Enter');
  const maxTrades = Math.max(...done.map((r) => r.metrics.total_trades));
  check(shows((await cellTexts(page, 'total_trades'))[0], maxTrades), 'Enter on a focused header sorts by it');
  check(await page.locator('[data-testid=runs-table] th[data-col=total_trades]').getAttribute('aria-sort') === 'descending', 'the sorted header says aria-sort=descending');
  await page.focus('[data-testid=runs-table] th[data-col=sharpe_ratio]');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter'); // focus stays on the header: back to ascending, as before
  check(await page.locator('[data-testid=runs-table] th[data-col=sharpe_ratio]').getAttribute('aria-sort') === 'ascending', 'a second Enter flips the order');
  // Colour scales: real values, diverging around zero for Sharpe.
  await page.selectOption('[data-testid=heatmap-metric]', 'sharpe_ratio');
  const hm = await viewOption(page, 'chart-heatmap');
  const vm = hm.visualMap[0];
  check(vm.min === -vm.max && vm.precision >= 1, `Sharpe heatmap scale is centred on zero (${vm.min}..${vm.max}) with ${vm.precision} decimals`);
  await page.selectOption('[data-testid=heatmap-metric]', 'max_drawdown');
  const hd = (await viewOption(page, 'chart-heatmap')).visualMap[0];
  check(hd.min >= 0 && hd.precision >= 1 && hd.inRange.color[0] !== vm.inRange.color[0], `drawdown scale is sequential (${hd.min}..${hd.max}, ${hd.precision} decimals)`);
  const charts = await page.$$eval('.chart', (els) => els.filter((e) => window.echarts.getInstanceByDom(e)).map((e) => [e.getAttribute('role'), e.getAttribute('aria-label')]));
  check(charts.length >= 8 && charts.every(([r, a]) => r === 'img' && a && a.length > 10), `all ${charts.length} charts have role=img and a text alternative`);

  // Parameter importance = eta squared of the primary metric per parameter.
  const imp = JSON.parse(await page.locator('[data-testid=chart-importance]').getAttribute('data-importance'));
  for (const p of sweep.params) {
    const groups = new Map();
    const vals = done.map((r) => r.metrics[pm]);
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    for (const r of done) { const k = JSON.stringify(r.params[p]); groups.set(k, (groups.get(k) || []).concat([r.metrics[pm]])); }
    let between = 0, total = 0;
    for (const g of groups.values()) { const gm = g.reduce((a, b) => a + b, 0) / g.length; between += g.length * (gm - mean) ** 2; }
    for (const v of vals) total += (v - mean) ** 2;
    check(Math.abs(imp[p] - between / total) < 1e-9, `importance of ${p} = η² ${(between / total).toFixed(4)}`);
  }
  const par = await chartOption(page, 'chart-parallel');
  check(par && par.series[0].n === done.length, `parallel coordinates: a line per finished run (${par && par.series[0].n})`);
  const sl = await chartOption(page, 'chart-slice');
  check(sl && sl.series[0].n === done.length, 'slice plot: a dot per finished run');
  // Pareto front of max drawdown (lower is better) and total return, computed here.
  await page.selectOption('[data-testid=pareto-x]', 'max_drawdown');
  await page.selectOption('[data-testid=pareto-y]', 'total_return');
  const front = JSON.parse(await page.locator('[data-testid=chart-pareto]').getAttribute('data-front')).sort((a, b) => a - b);
  const want = done.filter((a) => !done.some((b) => b !== a && Math.abs(b.metrics.max_drawdown) <= Math.abs(a.metrics.max_drawdown) &&
    b.metrics.total_return >= a.metrics.total_return && (Math.abs(b.metrics.max_drawdown) < Math.abs(a.metrics.max_drawdown) || b.metrics.total_return > a.metrics.total_return)))
    .map((r) => r.index).sort((a, b) => a - b);
  check(JSON.stringify(front) === JSON.stringify(want), `Pareto front (drawdown, return) is runs ${want.join(', ')} (page: ${front.join(', ')})`);
  // Best so far ends at the best configuration's value.
  const hist = await chartOption(page, 'chart-history');
  const bestLink = await page.locator('#best-run').getAttribute('data-index');
  const bestRun = done.find((r) => r.index === +bestLink);
  const last = hist.series[1].data[hist.series[1].data.length - 1];
  check(bestRun && Math.abs(last[1] - bestRun.metrics[pm]) < 1e-12, `best-so-far history ends at the best configuration's ${pm} ${bestRun && bestRun.metrics[pm]}`);
  await page.waitForFunction(() => !!window.echarts.getInstanceByDom(document.querySelector('[data-testid=chart-top-equity]')));
  const top = await chartOption(page, 'chart-top-equity');
  check(top && top.series.length === Math.min(10, done.length) && top.series.every((s) => s.n > 10), `top equity curves: ${top && top.series.length} overlaid`);
  // Edge-of-range warning: shown exactly when the best lies at an end of a numeric range.
  const edges = sweep.params.filter((p) => {
    const vals = [...new Set(done.map((r) => r.params[p]))].filter((v) => typeof v === 'number').sort((a, b) => a - b);
    return vals.length >= 3 && (bestRun.params[p] === vals[0] || bestRun.params[p] === vals[vals.length - 1]);
  });
  const warn = page.locator('[data-testid=edge-warning]');
  const warnText = (await warn.count()) ? await warn.textContent() : '';
  check((await warn.count()) === (edges.length ? 1 : 0) && edges.every((p) => warnText.includes(p)),
    `edge-of-range warning ${edges.length ? 'names ' + edges.join(', ') : 'absent: the best is inside every range'}`);
  await page.screenshot({ path: join(screens, 'optimization-views.png'), fullPage: true });
}

// ---- the run page's tear sheet -------------------------------------------------------------
async function tearSheet(page, run) {
  await page.waitForFunction(() => !!window.echarts.getInstanceByDom(document.querySelector('[data-testid=chart-year-month]')));
  const rs = await chartOption(page, 'chart-rolling-sharpe');
  check(rs && rs.series[0].n > 0, 'run page: rolling Sharpe drawn');
  const rd = await chartOption(page, 'chart-return-dist');
  const total = rd && rd.series[0].data.reduce((a, d) => a + (typeof d === 'object' ? d.value : d), 0);
  check(total === run.equity.length - 1, `return distribution counts the ${run.equity.length - 1} returns between equity points (${total})`);
  const ym = await chartOption(page, 'chart-year-month');
  check(ym && ym.xAxis[0].length === 12 && ym.series[0].n >= 12, `year x month heatmap: ${ym && ym.yAxis[0].length} years`);
  const worst = await page.$$eval('[data-testid=worst-drawdowns] td[data-col=depth]', (tds) => tds.map((t) => parseFloat(t.textContent)));
  const maxDd = Math.min(...run.drawdown.map((p) => p[1])) * 100;
  check(worst.length > 0 && Math.abs(worst[0] - maxDd) < 0.006, `worst drawdown ${worst[0]}% is the curve's deepest (${maxDd.toFixed(2)}%)`);
}

// ---- a variant test with eight variants ------------------------------------------------------
async function eightVariants(page) {
  console.log('variant test with eight variants (report.html)');
  const out = join(work, 'eight-out');
  rmSync(out, { recursive: true, force: true });
  const r = spawnSync(s1mpleBin, ['variant', join(root, 'config/variants/comprehensive_robustness_test.yaml'), '--store', join(work, 'eight-store'), '--out', out, '--no-progress'],
    { encoding: 'utf8', timeout: 120000, cwd: root });
  if (r.status !== 0) throw new Error(`s1mple variant exited ${r.status}: ${r.stderr}`);
  const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
  const p = await page.context().newPage();
  await p.setViewportSize({ width: 1440, height: 900 });
  await p.goto(pathToFileURL(join(out, 'report.html')).href);
  await p.waitForSelector('[data-testid=variant-metrics] tbody tr');
  await p.waitForFunction(() => !!window.echarts.getInstanceByDom(document.querySelector('[data-testid=chart-monthly]')));
  const names = await p.$$eval('[data-testid=variant-name]', (els) => els.map((e) => e.textContent));
  check(names.length === 8 && csv.length === 9, `eight variants listed (${names.join(', ')})`);
  const descs = await p.$$eval('[data-testid=variant-description]', (els) => els.map((e) => e.textContent));
  check(descs.length === 8 && descs[0] === 'Standard configuratie', `every variant shows its description (${descs.length})`);
  const mo = await viewOption(p, 'chart-monthly');
  check(mo.yAxis[0].inverse === true && JSON.stringify(mo.yAxis[0].data) === JSON.stringify(names), 'monthly rows run top-down in the plan\'s order');
  for (const id of ['chart-variant-causality', 'chart-variant-reasons']) {
    const o = await viewOption(p, id);
    if (!o) continue;
    check(o.xAxis[0].axisLabel.interval === 0 && o.xAxis[0].data.length === 8, `${id}: all 8 labels shown`);
  }
  const dd = await viewOption(p, 'chart-drawdown');
  check(dd.series.length === 8 && dd.series.every((s) => !s.areaStyle), 'drawdown overlay: 8 lines, no stacked grey areas');
  const hist = await viewOption(p, 'chart-trade-dist');
  check(hist.series.length === 8 && hist.series.every((s) => s.type === 'line'), 'trade histogram: 8 outlines, not 8 bars per bin');
  const kpiCut = await p.$$eval('.kpi .value', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).length);
  check(kpiCut === 0, `no KPI value is cut (${kpiCut})`);
  // Identical variants are flagged: computed here from the metrics the page shows.
  const runs = JSON.parse(await p.evaluate(() => document.getElementById('snapshot').textContent)).runs.runs;
  const key = (r) => JSON.stringify([r.metrics, ['opportunities_detected', 'opportunities_rejected', 'threats_detected'].map((k) => (r.causality || {})[k])]);
  const dupes = runs.filter((a) => runs.some((b) => b !== a && key(a) === key(b))).length;
  const flags = await p.locator('[data-testid=identical-flag]').count();
  check(flags === dupes, `identical variants flagged: ${flags} (expected ${dupes})`);
  await p.screenshot({ path: join(screens, 'variant-eight.png'), fullPage: true });
  await p.close();
}

// ---- the overfitting panel of a walk-forward sweep's report.html (issue 18) ------------------
// A walk-forward sweep run by the real CLI (16 configurations of the demo on 20,000 bars, 5 folds:
// 160 jobs); its report.html must show the DSR, PBO and walk-forward efficiency that
// optimization_result.json holds, one table row per fold with the winner chosen in sample, and
// the fold, IS-against-OOS and stitched-equity charts with the JSON's points.
async function overfittingPanel(page) {
  console.log('overfitting panel of a walk-forward report');
  const plan = readFileSync(join(root, 'config/optimizations/demo_walk_forward.yaml'), 'utf8')
    .replace('values: [30, 40, 50, 60, 80, 100]', 'values: [30, 60]')
    .replace(/atr_multiplier:\n(\s+)start: 1.5\n\s+end: 3.0\n\s+step: 0.5/, 'atr_multiplier:\n$1values: [2.0]')
    .replace('values: [0.5, 1.0]', 'values: [1.0]')
    .replace('config/operations/ema_cross.yaml', join(root, 'config/operations/ema_cross.yaml'));
  const planFile = join(work, 'walk-forward.yaml');
  writeFileSync(planFile, plan);
  const out = join(work, 'walk-forward-out');
  const store = join(work, 'walk-forward-store');
  rmSync(out, { recursive: true, force: true });
  rmSync(store, { recursive: true, force: true });
  const r = spawnSync(s1mpleBin, ['optimize', planFile, '--store', store, '--out', out, '--no-progress'], { encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`s1mple optimize (walk-forward) exited ${r.status}: ${r.stderr}`);
  const result = JSON.parse(readFileSync(join(out, 'optimization_result.json'), 'utf8'));
  const v = result.validation;
  check(v && v.mode === 'walk_forward' && v.folds.length === 5 && result.total_combinations === 160,
    `walk-forward sweep: ${result.total_combinations} jobs, ${v && v.folds.length} folds`);
  const p = await page.context().newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  await p.setViewportSize({ width: 1440, height: 900 });
  await p.goto(pathToFileURL(join(out, 'report.html')).href);
  await p.waitForSelector('[data-testid=overfitting-panel]', { timeout: WAIT });
  await p.waitForFunction(() => !!window.echarts.getInstanceByDom(document.querySelector('[data-testid=chart-is-oos]')), null, { timeout: WAIT });
  const kpiValue = (id) => p.locator(`[data-testid=${id}] .value`).textContent();
  const dsr = result.overfitting.deflated_sharpe_ratio;
  check((await kpiValue('overfitting-dsr')) === (dsr ? dsr.value.toFixed(3) : '—'), `panel: DSR as in optimization_result.json (${dsr && dsr.value})`);
  const pbo = result.overfitting.probability_of_backtest_overfitting;
  check((await kpiValue('overfitting-pbo')) === (pbo ? pbo.value.toFixed(3) : '—'), `panel: PBO as in optimization_result.json (${pbo && pbo.value})`);
  const wfe = v.walk_forward_efficiency;
  check((await kpiValue('overfitting-wfe')) === (wfe && wfe.value != null ? wfe.value.toFixed(2) : '—'), `panel: walk-forward efficiency (${wfe && wfe.value})`);
  const rows = await p.$$eval('[data-testid=folds-table] tbody tr', (els) => els.map((e) => [...e.children].map((c) => c.textContent)));
  check(rows.length === v.folds.length, `panel: one row per fold (${rows.length})`);
  const f0 = v.folds[0];
  check(rows[0][1] === `${f0.in_sample.start} .. ${f0.in_sample.end}` && rows[0][2] === `${f0.out_of_sample.start} .. ${f0.out_of_sample.end}`,
    `panel: fold 0's windows (${rows[0][1]} / ${rows[0][2]})`);
  check(rows[0][3].includes('fast_period=' + f0.winner.parameters['trend_follower.fast_period']), `panel: fold 0's winner (${rows[0][3]})`);
  const sc = await chartOption(p, 'chart-is-oos');
  check(sc && sc.series[0].n + sc.series[1].n === v.is_vs_oos.points.length && sc.series[1].n === v.folds.filter((f) => f.winner).length,
    `panel: IS-vs-OOS scatter has every configuration-fold (${sc && sc.series[0].n}+${sc && sc.series[1].n} of ${v.is_vs_oos.points.length})`);
  const fo = await chartOption(p, 'chart-folds');
  check(fo && fo.series.length === 2 && fo.series[1].data[0] === f0.winner.out_of_sample[v.primary_metric], 'panel: fold chart has each winner\'s IS and OOS metric');
  const eq = await chartOption(p, 'chart-stitched');
  check(eq && eq.series[0].n === v.stitched_out_of_sample.equity_curve.length, `panel: stitched OOS equity (${eq && eq.series[0].n} days)`);
  await p.locator('[data-testid=overfitting-panel]').screenshot({ path: join(screens, 'report-overfitting.png') });
  check(errors.length === 0, `overfitting panel: no script error (${errors.join(' | ') || 'none'})`);
  await p.close();
}

// ---- the best configuration under a binding constraint ------------------------------------
// The demo sweep with max_drawdown tightened to 10 (the best Sharpe without it draws down ~12%)
// run by the real CLI: the page, live and as report.html, must name the best configuration that
// optimization_result.json names, show the constraints, and not the unconstrained best.
async function constrainedBest(page, localOrigins) {
  console.log('best configuration under a binding max_drawdown constraint');
  const plan = readFileSync(join(root, 'config/optimizations/demo_ema_cross.yaml'), 'utf8')
    .replace('max_drawdown: 25.0', 'max_drawdown: 10.0');
  if (!plan.includes('max_drawdown: 10.0')) throw new Error('demo plan changed: no max_drawdown: 25.0 to tighten');
  const planFile = join(work, 'constrained.yaml');
  writeFileSync(planFile, plan.replace('config/operations/ema_cross.yaml', join(root, 'config/operations/ema_cross.yaml')));
  const store = join(work, 'constrained-store');
  const out = join(work, 'constrained-out');
  rmSync(store, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  const r = spawnSync(s1mpleBin, ['optimize', planFile, '--store', store, '--out', out, '--no-progress'], { encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`s1mple optimize exited ${r.status}: ${r.stderr}`);
  check(/best by sharpe_ratio \(meeting the constraints\): run sw-/.test(r.stdout), 'CLI names the best run meeting the constraints');
  const result = JSON.parse(readFileSync(join(out, 'optimization_result.json'), 'utf8'));
  const sweepId = result.optimization_id;
  const bestId = result.best_configuration && result.best_configuration.run_id;
  check(!!bestId, 'optimization_result.json has a best configuration: ' + bestId);
  check(r.stdout.includes('run ' + bestId), 'CLI and optimization_result.json name the same run');
  const ok = result.results.filter((x) => x.status === 'ok' && typeof x.metrics.sharpe_ratio === 'number');
  const free = ok.reduce((a, b) => (b.metrics.sharpe_ratio > a.metrics.sharpe_ratio ? b : a));
  check(free.run_id !== bestId && Math.abs(free.metrics.max_drawdown) > 10,
    `the constraint binds: the best Sharpe overall (${free.run_id}, drawdown ${free.metrics.max_drawdown.toFixed(2)}) breaks it`);
  check(Math.abs(result.best_configuration.metrics.max_drawdown) <= 10, 'the best configuration meets max_drawdown <= 10');

  // report.html, offline.
  const report = await page.context().newPage();
  await report.goto(pathToFileURL(join(out, 'report.html')).href + '#/sweep/' + sweepId);
  await report.waitForSelector('#best-run');
  const reportBest = await report.locator('#best-run').textContent();
  check(reportBest.includes(bestId), `report.html #best-run "${reportBest}" names ${bestId}`);
  check(!reportBest.includes(free.run_id + ' ') && !reportBest.endsWith(free.run_id), 'report.html does not name the unconstrained best');
  const shown = await report.locator('[data-testid=constraints]').textContent();
  check(shown.includes('|max_drawdown| ≤ 10') && shown.includes('total_trades ≥ 20'), `report.html shows the constraints: ${shown}`);
  await report.screenshot({ path: join(screens, 'constrained-report.png'), fullPage: true });
  // Rows without embedded curves are marked and open as a summary with their reproduce command.
  await report.fill('[data-testid=runs-filter]', 'curves=none');
  await report.waitForFunction(() => document.querySelector('[data-testid=runs-count]').textContent.includes('filtered'));
  const marked = await report.locator('[data-testid=runs-count]').textContent();
  check(marked.includes(`of ${result.results.length - 50} `) || marked.includes(`of ${result.results.length - 50}`), `report marks the ${result.results.length - 50} rows without curves (${marked})`);
  const plain = await report.locator('[data-testid=runs-table] tbody tr.no-detail').first().getAttribute('data-index');
  await report.locator('[data-testid=runs-table] tbody tr.no-detail').first().focus();
  await report.keyboard.press('Enter');
  await report.waitForSelector('[data-testid=run-summary-only]');
  const repro = await report.locator('[data-testid=reproduce]').textContent();
  check(repro === `s1mple job ${sweepId}/${plain} --export runs/${sweepId}-${plain} && s1mple run runs/${sweepId}-${plain}/operation.yaml`, `a row without curves opens as a summary with its reproduce command (${repro})`);
  check(await report.locator('[data-testid=error]').count() === 0 && await report.locator('[data-testid=run-metrics] .kpi').count() >= 8, 'no error page: its metrics are shown');
  await report.screenshot({ path: join(screens, 'report-run-summary.png'), fullPage: true });
  await report.close();

  // The live page, served by `s1mple broker --http` over that store.
  liveBroker = spawn(s1mpleBin, ['broker', '--bind', 'tcp://127.0.0.1:*', '--store', store, '--sync', 'none', '--http', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error('broker --http printed no address within 30 s')), 30000);
    createInterface({ input: liveBroker.stdout }).on('line', (line) => {
      const m = /Trade Explorer on (http:\/\/\S+)/.exec(line);
      if (m) { clearTimeout(t); res(m[1]); }
    });
    liveBroker.once('exit', (c) => { clearTimeout(t); rej(new Error('broker exited with ' + c)); });
  });
  localOrigins.push(url);
  const live = await api(url, `api/sweeps/${sweepId}`);
  check(live.plan.constraints.length === 2 && live.plan.direction === 'maximize', 'the API gives the plan\'s constraints and direction');
  await page.goto(url + '#/sweep/' + sweepId);
  await page.waitForSelector('#best-run');
  const liveBest = await page.locator('#best-run').textContent();
  check(liveBest.includes(bestId), `live page #best-run "${liveBest}" names ${bestId}`);
  await page.screenshot({ path: join(screens, 'constrained-live.png'), fullPage: true });
  // Leave the page before its server stops: a live page keeps polling and would log the refused
  // connections as console errors (what it shows then is tests/ui/server_gone.mjs's subject).
  await page.goto('about:blank');
  liveBroker.kill('SIGTERM');
}

let code = 0;
try {
  await main();
} catch (e) {
  console.error('e2e: ' + (e && e.stack || e));
  failed++;
}
await cleanup();
clearTimeout(watchdog);
console.log(`screenshots: ${screens}`);
console.log(`${passed} passed, ${failed} failed`);
code = failed ? 1 : 0;
process.exit(code);
