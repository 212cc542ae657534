// bench/ui_load.mjs: how the Trade Explorer page scales with a sweep's size (issue 22).
//
//   node bench/ui_load.mjs [--s1mple build/cli/s1mple] [--sizes 1000,10000,100000] [--work DIR] [--json]
//                          [--baseline OTHER_S1MPLE] [--repeat N]
//
// For each size N, runs a real sweep of N small ema_cross backtests (bench/plans/sweep_100k.yaml
// cut to N points: 400 synthetic hourly bars each) with `s1mple optimize` on the embedded
// default (kept in --work and reused; report.html is written again by `s1mple results` so that
// it embeds this build's page), then in headless Chromium (Debian's /usr/bin/chromium, playwright-core from
// ui/node_modules) measures:
//   report_mb          the size of report.html
//   report_open_s      report.html from file://: navigation to the table's first row and every
//                      chart of the optimization view drawn
//   live_open_s        the same view from `s1mple broker --http` over the sweep's store (the
//                      server cold: started just before)
//   baseline_open_s    with --baseline: the same live open served by another build's broker
//                      (e.g. main's), over the same store, just before live_open_s
//   live_again_s       the live view opened again on the same server after the measurements
//                      below (its rows kept: what a later open costs, or the first one once
//                      the server's warm-up has run)
//   sort_click_s       a click on the Trades header until the table shows the new order (live)
//   filter_s           typing fast_period=5 until the count says "filtered" (live; includes the
//                      page's 120 ms debounce)
//   sort_js_ms         the page's own work for one sort (timed inside the page, once idle)
//   filter_js_ms       the same for one filter, after the debounce
//   load_average_1min  the machine's 1-minute load average when the size was done
//   live_vs_report     live_open_s / report_open_s of the same round (baseline_vs_report too)
// Every figure is one measurement on this machine; the store and outputs stay in --work. With
// --repeat N each size is measured N times in a row (every mode once per round, so a slow
// minute of a shared machine hits them alike) and a median row follows the rounds: the median
// of each column, the ratios the medians of the rounds' ratios.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { loadavg, tmpdir } from 'node:os';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = await import(pathToFileURL(join(root, 'ui/node_modules/playwright-core/index.mjs')).href);
const args = process.argv.slice(2);
const arg = (n, d) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const s1mple = resolve(arg('--s1mple', join(root, 'build/cli/s1mple')));
const sizes = arg('--sizes', '1000,10000,100000').split(',').map(Number);
const work = resolve(arg('--work', join(tmpdir(), 'ui-load-bench')));
const asJson = args.includes('--json');
const baseline = arg('--baseline', null) && resolve(arg('--baseline'));
const repeat = Math.max(1, Number(arg('--repeat', 1)));
mkdirSync(work, { recursive: true });

// sweep_100k.yaml is 50 fast x 100 slow x 20 ATR; N = fast x slow x 20.
function planFor(n) {
  const cells = n / 20;
  const fast = [1, 2, 5, 10, 25, 50].find((f) => cells % f === 0 && cells / f <= 100);
  const slow = cells / fast;
  if (fast * slow * 20 !== n) throw new Error(`size ${n} is not fast x slow x 20`);
  return readFileSync(join(root, 'bench/plans/sweep_100k.yaml'), 'utf8')
    .replace('fast_period: {start: 5, end: 54, step: 1}', `fast_period: {start: 5, end: ${4 + fast}, step: 1}`)
    .replace('slow_period: {start: 60, end: 159, step: 1}', `slow_period: {start: 60, end: ${59 + slow}, step: 1}`)
    .replace('bench/operations/ema_cross_400.yaml', join(root, 'bench/operations/ema_cross_400.yaml'));
}

function sweepOf(n) {
  const dir = join(work, String(n));
  const out = join(dir, 'out');
  if (!existsSync(join(out, 'report.html'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'plan.yaml'), planFor(n));
    const t = Date.now();
    const r = spawnSync(s1mple, ['optimize', join(dir, 'plan.yaml'), '--store', join(dir, 'store'), '--out', out, '--no-progress'],
      { encoding: 'utf8', cwd: root, maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`optimize ${n}: ${r.stderr}`);
    if (!asJson) console.error(`  sweep of ${n} runs in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  const result = JSON.parse(readFileSync(join(out, 'optimization_result.json'), 'utf8'));
  // The report embeds the page it was written with: write it again with this build's page.
  const again = spawnSync(s1mple, ['results', result.optimization_id, '--store', join(dir, 'store'), '--out', out],
    { encoding: 'utf8', cwd: root, maxBuffer: 1 << 26 });
  if (again.status !== 0) throw new Error(`results ${n}: ${again.stderr}`);
  return { dir, out, store: join(dir, 'store'), id: result.optimization_id };
}

const VIEW_CHARTS = ['chart-risk-return', 'chart-heatmap', 'chart-pareto', 'chart-history', 'chart-importance', 'chart-parallel'];
async function openView(page, url) {
  const t = Date.now();
  await page.goto(url, { timeout: 600000 });
  await page.waitForSelector('[data-testid=runs-table] tbody tr[data-index]', { timeout: 600000 });
  await page.waitForFunction((ids) => ids.every((id) => {
    const el = document.querySelector(`[data-testid="${id}"]`);
    return el && window.echarts.getInstanceByDom(el);
  }), VIEW_CHARTS, { timeout: 600000, polling: 50 });
  return (Date.now() - t) / 1000;
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const rows = [];
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
for (const n of sizes) {
  const sw = sweepOf(n);
  const rounds = [];
  for (let round = 1; round <= repeat; round++) {
    const report = join(sw.out, 'report.html');
    const row = { runs: n, report_mb: +(statSync(report).size / 1e6).toFixed(1) };
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    row.report_open_s = +(await openView(page, pathToFileURL(report).href)).toFixed(2);
    // Live, from the broker's HTTP server over the sweep's store (started now: the server is cold).
    const startBroker = async (bin) => {
      const proc = spawn(bin, ['broker', '--bind', 'tcp://127.0.0.1:*', '--store', sw.store, '--sync', 'none', '--http', '127.0.0.1:0'],
        { stdio: ['ignore', 'pipe', 'ignore'] });
      const at = await new Promise((res, rej) => {
        createInterface({ input: proc.stdout }).on('line', (l) => { const m = /Trade Explorer on (http:\/\/\S+)/.exec(l); if (m) res(m[1]); });
        proc.once('exit', (c) => rej(new Error('broker exited ' + c)));
      });
      return { proc, url: at };
    };
    if (baseline) {
      const b = await startBroker(baseline);
      row.baseline_open_s = +(await openView(page, `${b.url}#/sweep/${sw.id}`)).toFixed(2);
      await page.goto('about:blank');
      await new Promise((res) => { b.proc.once('exit', res); b.proc.kill('SIGTERM'); });
    }
    const { proc: broker, url } = await startBroker(s1mple);
    row.live_open_s = +(await openView(page, `${url}#/sweep/${sw.id}`)).toFixed(2);
    let t = Date.now();
    const firstBefore = await page.$eval('[data-testid=runs-table] tbody tr[data-index]', (tr) => tr.dataset.index);
    await page.click('[data-testid=runs-table] th[data-col=total_trades]');
    await page.waitForFunction(() => document.querySelector('[data-testid=runs-table] th[data-col=total_trades]').getAttribute('aria-sort') !== 'none', null, { polling: 10 });
    row.sort_click_s = +((Date.now() - t) / 1000).toFixed(3);
    t = Date.now();
    await page.fill('[data-testid=runs-filter]', 'fast_period=5');
    // "N (filtered from M)", or "0 of M" when nothing matches (at 1,000 runs fast_period is one
    // value, a fixed parameter and no column: the filter then matches no row).
    await page.waitForFunction(() => /filtered|^0 of/.test(document.querySelector('[data-testid=runs-count]').textContent), null, { polling: 10, timeout: 60000 });
    row.filter_s = +((Date.now() - t) / 1000).toFixed(3);
    row.first_row_changed = firstBefore !== await page.evaluate(() => { const tr = document.querySelector('[data-testid=runs-table] tbody tr[data-index]'); return tr ? tr.dataset.index : null; });
    // The page's own work for one sort and one filter, timed inside the page once it is idle
    // (the click times above also wait for whatever the page was still drawing).
    await page.fill('[data-testid=runs-filter]', '');
    await page.waitForTimeout(2000);
    row.sort_js_ms = +(await page.evaluate(() => { const t0 = performance.now(); document.querySelector('[data-testid=runs-table] th[data-col=sharpe_ratio]').click(); return performance.now() - t0; })).toFixed(1);
    row.filter_js_ms = +(await page.evaluate(() => new Promise((res) => {
      const i = document.querySelector('[data-testid=runs-filter]'); i.value = 'fast_period=5'; i.dispatchEvent(new Event('input'));
      const t0 = performance.now() + 120; // the debounce
      const poll = () => (/filtered|^0 of/.test(document.querySelector('[data-testid=runs-count]').textContent) ? res(performance.now() - t0) : setTimeout(poll, 1));
      setTimeout(poll, 120);
    }))).toFixed(1);
    // The same view opened again on the same server: what every later open costs (the rows are
    // kept), and what the first open costs once the server's warm-up has run.
    await page.goto('about:blank');
    row.live_again_s = +(await openView(page, `${url}#/sweep/${sw.id}`)).toFixed(2);
    broker.kill('SIGTERM');
    await ctx.close();
    row.load_average_1min = +loadavg()[0].toFixed(1);  // the machine is shared: say how loaded
    row.live_vs_report = +(row.live_open_s / row.report_open_s).toFixed(3);
    if (baseline) row.baseline_vs_report = +(row.baseline_open_s / row.report_open_s).toFixed(3);
    if (repeat > 1) row.round = round;
    rounds.push(row);
    rows.push(row);
    if (!asJson) console.error(`  ${JSON.stringify(row)}`);
  }
  if (repeat > 1) {
    const med = { runs: n, round: 'median' };
    for (const k of Object.keys(rounds[0])) {
      if (k === 'runs' || k === 'round' || typeof rounds[0][k] !== 'number') continue;
      med[k] = +median(rounds.map((r) => r[k])).toFixed(3);
    }
    rows.push(med);
    if (!asJson) console.error(`  ${JSON.stringify(med)}`);
  }
}
await browser.close();
if (asJson) console.log(JSON.stringify(rows));
else {
  const b = baseline ? ' baseline live open s |' : '';
  const rc = repeat > 1 ? ' round |' : '';
  const bv = baseline ? ' baseline / report |' : '';
  console.log(`| runs |${rc} report.html MB | report open s |${b} live open s | live open again s | live / report |${bv} sort click s | filter s | sort, page work ms | filter, page work ms |`);
  console.log(`|---:|${repeat > 1 ? '---:|' : ''}---:|---:|${baseline ? '---:|' : ''}---:|---:|---:|${baseline ? '---:|' : ''}---:|---:|---:|---:|`);
  for (const r of rows) console.log(`| ${r.runs.toLocaleString('en-US')} |${repeat > 1 ? ` ${r.round} |` : ''} ${r.report_mb} | ${r.report_open_s} |${baseline ? ` ${r.baseline_open_s} |` : ''} ${r.live_open_s} | ${r.live_again_s} | ${r.live_vs_report} |${baseline ? ` ${r.baseline_vs_report} |` : ''} ${r.sort_click_s} | ${r.filter_s} | ${r.sort_js_ms} | ${r.filter_js_ms} |`);
}
