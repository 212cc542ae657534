// Issue 21: the live page knows when its server has gone. In headless Chromium (Debian's
// /usr/bin/chromium through playwright-core from ui/node_modules), against real processes:
//  1. `s1mple broker --http` with an active sweep (no runner): the page shows it "active · Live";
//     the broker stops: within a few polls the page says the server is unreachable, marks the
//     sweep's state unreachable, drops the ETA and points to report.html (runs/<id>/);
//  2. the broker comes back on the same port: the banner goes and the page is Live again;
//  3. a runner finishes the sweep, the page shows it done, the broker stops: the page says the
//     sweep finished and its server stopped;
//  4. an embedded sweep (`s1mple optimize --http`): its page, once the process has exited, no
//     longer says Live and points to report.html.
//   node tests/ui/server_gone.mjs --s1mple PATH/s1mple --work DIR
// Every wait is bounded; exit code 0 = every check passed.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const { chromium } = await import(pathToFileURL(join(root, 'ui/node_modules/playwright-core/index.mjs')).href)
  .catch((e) => { console.error('server_gone: playwright-core missing (run scripts/setup or `npm ci` in ui/):', e.message); process.exit(1); });

const args = process.argv.slice(2);
const arg = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const s1mpleBin = arg('--s1mple', join(root, 'build/cli/s1mple'));
const work = resolve(arg('--work', join(tmpdir(), 'explorer-server-gone')));
const plan = join(root, 'config/optimizations/demo_ema_cross.yaml');
const WAIT = 20000;
const TOTAL = 240000;

const procs = [];
let context = null;
let profileDir = null;
let passed = 0;
let failed = 0;
function check(cond, what) {
  if (cond) { passed++; console.log('  ok   ' + what); } else { failed++; console.log('  FAIL ' + what); }
}
async function cleanup() {
  try { if (context) await context.close(); } catch (e) { /* gone */ }
  for (const p of procs) if (p.exitCode == null && p.signalCode == null) p.kill('SIGKILL');
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
}
const watchdog = setTimeout(async () => {
  console.error(`server_gone: watchdog: not finished within ${TOTAL / 1000} s`);
  await cleanup();
  process.exit(1);
}, TOTAL);

// Spawns s1mple with `argv`; resolves with the process and the first match of each regex in
// `want` (searched in stdout and stderr lines).
function start(argv, want) {
  const p = spawn(s1mpleBin, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  const found = {};
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`s1mple ${argv[0]} printed no ${Object.keys(want).join(', ')} within 30 s`)), 30000);
    const onLine = (line) => {
      for (const [k, re] of Object.entries(want)) {
        const m = re.exec(line);
        if (m && !(k in found)) found[k] = m[1];
      }
      if (Object.keys(want).every((k) => k in found)) { clearTimeout(t); res({ p, ...found }); }
    };
    createInterface({ input: p.stdout }).on('line', onLine);
    createInterface({ input: p.stderr }).on('line', onLine);
    p.once('exit', (c) => { clearTimeout(t); if (!Object.keys(want).every((k) => k in found)) rej(new Error(`s1mple ${argv[0]} exited ${c}`)); });
  });
}
function exited(p, ms = 30000) {
  if (p.exitCode != null || p.signalCode != null) return Promise.resolve(p.exitCode);
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error('process did not exit')), ms);
    p.once('exit', (c) => { clearTimeout(t); res(c); });
  });
}
function run(argv) {
  return new Promise((res) => {
    const p = spawn(s1mpleBin, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.once('exit', (code) => res({ code, out, err }));
  });
}
const text = (page, sel) => page.locator(sel).first().textContent();

async function main() {
  // A fresh directory: stores left by an earlier run would hold the plan's finished sweeps, and
  // an identical plan is then not run again (its outputs are written at once).
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  profileDir = mkdtempSync(join(tmpdir(), 'explorer-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    viewport: { width: 1280, height: 800 },
    timeout: 60000,
  });
  context.setDefaultTimeout(WAIT);
  const page = await context.newPage();

  // 1. A broker with an active sweep and no runner; then the broker stops.
  const store = join(work, 'store');
  const brokerArgs = (http) => ['broker', '--bind', 'tcp://127.0.0.1:*', '--store', store, '--sync', 'none', '--http', http];
  let broker = await start(brokerArgs('127.0.0.1:0'), { url: /Trade Explorer on (http:\/\/\S+)/, ep: /listening on (tcp:\/\/\S+)/ });
  const detach = await run(['optimize', plan, '--broker', broker.ep, '--detach']);
  if (detach.code !== 0) throw new Error('optimize --detach: ' + detach.err);
  const sweep = detach.out.trim().split('\n')[0];
  check(/^sw-[0-9a-f]{12}$/.test(sweep), 'submitted ' + sweep);
  await page.goto(broker.url + '#/sweep/' + sweep);
  await page.waitForSelector('[data-testid=sweep-counts]');
  check((await text(page, '[data-testid=sweep-state]')) === 'active', 'the page shows the sweep active');
  check((await text(page, '[data-testid=mode]')).includes('Live'), 'the mode says Live');
  broker.p.kill('SIGTERM');
  await exited(broker.p);
  await page.waitForSelector('[data-testid=server-gone]', { timeout: WAIT });
  const gone = await text(page, '[data-testid=server-gone]');
  check(gone.includes('unreachable'), `the banner says the server is unreachable: "${gone.slice(0, 60)}…"`);
  check(gone.includes('report.html') && gone.includes(`runs/${sweep}/`), 'it points to report.html in runs/<id>/');
  check(gone.includes(`s1mple results ${sweep} --out DIR`), 'and says how to write the outputs again');
  const mode = await text(page, '[data-testid=mode]');
  check(!mode.includes('Live') && mode.includes('unreachable'), `the mode no longer says Live: "${mode}"`);
  check((await text(page, '[data-testid=sweep-state]')) === 'unreachable', 'the sweep state is shown as unreachable, not active');
  check(!(await text(page, '[data-testid=sweep-counts]')).includes('ETA'), 'no ETA is shown for a sweep nobody reports on');

  // 2. The broker comes back on the same port: the page is live again.
  const port = new URL(broker.url).port;
  broker = await start(brokerArgs('127.0.0.1:' + port), { url: /Trade Explorer on (http:\/\/\S+)/, ep: /listening on (tcp:\/\/\S+)/ });
  await page.waitForSelector('[data-testid=server-gone]', { state: 'detached', timeout: WAIT });
  check((await text(page, '[data-testid=mode]')).includes('Live'), 'the broker is back: the banner is gone and the mode says Live');

  // 3. A runner finishes the sweep; the page shows done; then the broker stops.
  const runner = await start(['runner', '--connect', broker.ep, '--slots', '2'], { ok: /(connected)/ });
  await page.waitForFunction(() => document.querySelector('[data-testid=sweep-state]').textContent === 'done', null, { timeout: 60000 });
  check(true, 'the page shows the sweep done');
  runner.p.kill('SIGTERM');
  await exited(runner.p);
  broker.p.kill('SIGTERM');
  await exited(broker.p);
  await page.waitForSelector('[data-testid=server-gone]', { timeout: WAIT });
  const finished = await text(page, '[data-testid=server-gone]');
  check(finished.includes('The sweep finished and its server has stopped'), `the banner says the sweep finished: "${finished.slice(0, 60)}…"`);
  check(finished.includes('report.html'), 'and points to report.html');
  check((await text(page, '[data-testid=mode]')).includes('Finished'), 'the mode says Finished');
  check((await text(page, '[data-testid=sweep-state]')) === 'done', 'the state stays done');
  await page.screenshot({ path: join(work, 'server-gone-finished.png'), fullPage: true });

  // 4. An embedded sweep: its page outlives its server.
  const out = join(work, 'embedded-out');
  const embedded = await start(['optimize', plan, '--store', join(work, 'embedded-store'), '--out', out,
    '--http', '127.0.0.1:0', '--runners', '1', '--no-progress'], { url: /Trade Explorer: (http:\/\/\S+)/ });
  await page.goto(embedded.url);
  await page.waitForSelector('[data-testid=sweep-counts]');
  check((await text(page, '[data-testid=mode]')).includes('Live'), 'the embedded sweep\'s page is Live while it runs');
  check((await exited(embedded.p, 120000)) === 0, 'the embedded sweep ends (exit 0)');
  await page.waitForSelector('[data-testid=server-gone]', { timeout: WAIT });
  const banner = await text(page, '[data-testid=server-gone]');
  check(banner.includes('report.html'), `after it exits the page points to report.html: "${banner.slice(0, 70)}…"`);
  const m2 = await text(page, '[data-testid=mode]');
  check(!m2.includes('Live'), `and no longer says Live: "${m2}"`);
  await page.screenshot({ path: join(work, 'server-gone-embedded.png'), fullPage: true });
}

try {
  await main();
} catch (e) {
  console.error('server_gone: ' + (e && e.stack || e));
  failed++;
}
await cleanup();
clearTimeout(watchdog);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
