// Browser journeys in real headless Chromium (Debian's /usr/bin/chromium), driven by
// playwright-core. The server is the real `liveguard serve --demo` binary on a free port.
//
// Environment:
//   LIVEGUARD_BIN           path to the liveguard binary (required)
//   LIVEGUARD_DATABASE_URL  run against this database instead of SQLite (optional)
//   LIVEGUARD_E2E_SHOTS     directory for screenshots (optional)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const bin = process.env.LIVEGUARD_BIN;
const dbUrl = process.env.LIVEGUARD_DATABASE_URL || '';
const shots = process.env.LIVEGUARD_E2E_SHOTS || '';
const backend = dbUrl ? 'postgres' : 'sqlite';

let server;
let baseUrl;
let browser;
let dataDir;
let profileDir;

function startServer() {
  return new Promise((resolve, reject) => {
    const args = ['serve', '--demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir];
    if (dbUrl) args.push('--database-url', dbUrl);
    server = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LIVEGUARD_LOG: 'warn', LIVEGUARD_BIN: undefined } });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60000);
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/running at (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    server.stderr.on('data', (d) => { out += d; });
    server.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${out}`)); });
  });
}

before(async () => {
  assert.ok(bin, 'LIVEGUARD_BIN must point to the liveguard binary');
  dataDir = mkdtempSync(join(tmpdir(), 'lg-e2e-data-'));
  profileDir = mkdtempSync(join(tmpdir(), 'lg-e2e-profile-'));
  if (shots) mkdirSync(shots, { recursive: true });
  baseUrl = await startServer();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill('SIGTERM');
  for (const d of [dataDir, profileDir]) if (d) rmSync(d, { recursive: true, force: true });
});

async function loggedIn(username) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  // Irreversible steps ask first (window.confirm): accept, and keep what was asked.
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.accept(); });
  await page.goto(`${baseUrl}/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', `demo-${username}-2026`);
  await Promise.all([page.waitForURL(`${baseUrl}/`), page.click('input[type=submit]')]);
  return { context, page, dialogs };
}

async function shot(page, name) {
  if (shots) await page.screenshot({ path: join(shots, `${backend}-${name}.png`), fullPage: true });
}

test(`[${backend}] a wrong password is refused with a Chinese message`, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl}/login`);
  await page.fill('input[name=username]', 'streamer');
  await page.fill('input[name=password]', 'not-the-password');
  await page.click('input[type=submit]');
  await page.waitForSelector('.error');
  assert.match(await page.textContent('.error'), /用户名或密码错误/);
  await context.close();
});

test(`[${backend}] a streamer screens a script but cannot see users or the audit log`, async () => {
  const { context, page } = await loggedIn('streamer');
  const nav = await page.textContent('header');
  assert.match(nav, /合规扫描/);
  assert.doesNotMatch(nav, /审计日志/);
  assert.doesNotMatch(nav, /用户/);
  await page.goto(`${baseUrl}/scan`);
  await page.fill('textarea[name=text]', '这款面霜是全网最好用的，能治疗湿疹，加我薇信私聊。第一次来的宝宝先领券。');
  await page.selectOption('select[name=category]', 'cosmetics');
  await page.click('input[type=submit]');
  await page.waitForSelector('[data-testid=highlighted]');
  const marks = await page.$$eval('[data-testid=highlighted] mark', (ms) => ms.map((m) => [m.className, m.textContent]));
  assert.ok(marks.some(([c, t]) => c === 'sev-block' && t.includes('治疗')), JSON.stringify(marks));
  assert.ok(marks.some(([c, t]) => c === 'sev-block' && t.includes('薇信')), JSON.stringify(marks));
  assert.ok(!marks.some(([, t]) => t.includes('第一次')), 'benign 第一次 is not marked');
  assert.match(await page.textContent('table'), /《广告法》第17条/);
  await shot(page, 'streamer-scan');
  const audit = await page.goto(`${baseUrl}/audit`);
  assert.equal(audit.status(), 403);
  const users = await page.goto(`${baseUrl}/admin/users`);
  assert.equal(users.status(), 403);
  await context.close();
});

test(`[${backend}] a streamer submits a script as an uploaded file, with the start time picked`, async () => {
  const { context, page } = await loggedIn('streamer');
  await page.goto(`${baseUrl}/reviews/new`);
  await page.fill('input[name=title]', '上传的话术');
  await page.fill('input[name=session_start]', '2026-12-11T20:00');
  await page.setInputFiles('input[type=file]', { name: 'script.txt', mimeType: 'text/plain', buffer: Buffer.from('今天的面霜全网最低价！\n') });
  await page.waitForFunction(() => document.querySelector('input[name=file_base64]').value.length > 0);
  await page.click('input[value=保存并筛查]');
  await page.waitForSelector('[data-testid=highlighted]');
  assert.match(await page.textContent('[data-testid=highlighted]'), /全网最低价/);
  assert.match(await page.textContent('body'), /2026年12月11日 20:00/);
  await shot(page, 'streamer-upload');
  await context.close();
});

test(`[${backend}] the compliance lead browses, filters and verifies the audit log`, async () => {
  const { context, page } = await loggedIn('lead');
  assert.match(await page.textContent('header'), /审计日志/);
  await page.click('header >> text=审计日志');
  await page.waitForSelector('table');
  // Actions read as words; the filter picks an action from a list and a day range.
  assert.match(await page.textContent('[data-testid=audit-entries]'), /登录/);
  await page.selectOption('select[name=action]', 'user.create');
  await page.click('input[value=筛选]');
  const actions = await page.$$eval('[data-testid=audit-entries] tbody tr td:nth-child(5)', (tds) => tds.map((t) => t.textContent));
  assert.ok(actions.length >= 8 && actions.every((a) => a === '创建用户'), JSON.stringify(actions));
  assert.ok(await page.$('[data-testid=audit-csv]'), 'the lead may export the log as CSV');
  await page.click('[data-testid=verify]');
  await page.waitForSelector('[data-testid=verify-result]');
  const result = await page.textContent('[data-testid=verify-result]');
  assert.match(result, /验证通过/);
  await shot(page, 'lead-audit-verified');
  // The lead may view users but not change them.
  await page.goto(`${baseUrl}/admin/users`);
  assert.equal(await page.$('form[action="/admin/users"]'), null);
  await context.close();
});

test(`[${backend}] the administrator creates a user and switches to English`, async () => {
  const { context, page } = await loggedIn('admin');
  await page.goto(`${baseUrl}/admin/users`);
  await page.fill('form[action="/admin/users"] input[name=username]', 'newstreamer');
  await page.fill('form[action="/admin/users"] input[name=display_name]', '新主播 小王');
  await page.selectOption('form[action="/admin/users"] select[name=role]', 'streamer');
  await page.fill('form[action="/admin/users"] input[name=password]', 'a-long-password-1');
  await page.click('form[action="/admin/users"] input[type=submit]');
  await page.waitForSelector('p.ok');
  assert.match(await page.textContent('p.ok'), /newstreamer/);
  assert.match(await page.textContent('table'), /新主播 小王/);
  await page.click('header >> text=English');
  await page.waitForURL(`${baseUrl}/`);
  assert.match(await page.textContent('header'), /Audit log/);
  await shot(page, 'admin-english');
  await context.close();
});

test(`[${backend}] a script goes through 初审 → 复审 → 终审 with a rejection, a dismissal and a frozen print`, async () => {
  // The author submits the demo script.
  const author = await loggedIn('streamer');
  await author.page.click('header >> text=开播前审核');
  // The demo's session is tomorrow evening (its date is in the title).
  await author.page.click('text=/^\\d+月\\d+日 晚8点 面霜专场话术$/');
  const url = author.page.url();
  await author.page.click('input[value=提交审核]');
  assert.match(await author.page.textContent('[data-testid=stage]'), /待初审/);

  // 初审 confirms a finding and rejects with the required change.
  const reviewer = await loggedIn('reviewer');
  await reviewer.page.goto(url);
  const selects = await reviewer.page.$$('select[name^=d]');
  assert.ok(selects.length > 0);
  await selects[0].selectOption('confirm');
  await reviewer.page.click('input[value=保存决定]');
  await reviewer.page.fill('textarea[name=required_changes]', '删除“全网最好用”“立竿见影”“美白祛斑”，原价须有依据');
  await reviewer.page.click('input[value=退回]');
  assert.match(await reviewer.page.textContent('[data-testid=stage]'), /已退回/);

  // The author rewrites and resubmits; the diff is shown.
  await author.page.goto(url);
  await author.page.fill('form[action$="/edit"] textarea[name=text]',
    '欢迎来到直播间！今天给大家带来我们家的水润修护面霜，质地清爽，适合干性肌肤。\n我们的保湿技术行业领先。\n第一次来的宝宝先领券，有问题找平台客服。');
  await author.page.click('input[value=保存新版本]');
  assert.match(await author.page.textContent('body'), /与上一版本的差异/);
  await author.page.click('input[value=提交审核]');
  assert.match(await author.page.textContent('[data-testid=stage]'), /待初审/);

  // 初审 dismisses the remaining finding with a reason code, asks for 终审, approves.
  await reviewer.page.goto(url);
  for (const s of await reviewer.page.$$('select[name^=d]')) await s.selectOption('dismiss:limited_fact');
  for (const c of await reviewer.page.$$('input[name^=c]:not([type=hidden])')) await c.fill('第三方检测报告 2026-10，保湿时长 24 小时');
  await reviewer.page.click('input[value=保存决定]');
  await reviewer.page.check('input[name=flag_final]');
  // The checklist starts unanswered: every item is chosen on purpose.
  for (const s of await reviewer.page.$$('select[name^="k:"]')) await s.selectOption('pass');
  await reviewer.page.click('input[value=批准]');
  assert.match(await reviewer.page.textContent('[data-testid=stage]'), /待复审/);

  // 复审, then 终审 by the compliance lead and legal.
  for (const [user, expected] of [['manager', /待终审/], ['lead', /待终审/], ['legal', /已批准/]]) {
    const r = await loggedIn(user);
    await r.page.goto(url);
    for (const s of await r.page.$$('select[name^="k:"]')) await s.selectOption('pass');
    await r.page.click('input[value=批准]');
    if (user === 'lead') assert.match(await r.page.textContent('[data-testid=cosign]'), /待法务会签/);
    assert.match(await r.page.textContent('[data-testid=stage]'), expected, user);
    if (user === 'legal') {
      assert.ok(r.dialogs.some((m) => /冻结/.test(m)), JSON.stringify(r.dialogs));
      await r.page.click('text=打印批准版本');
      const hash = await r.page.textContent('[data-testid=print-hash]');
      assert.match(hash, /^[0-9a-f]{64}$/);
      // The print says it in words: the dismissal's reason, the reviewers by name.
      const printed = await r.page.textContent('body');
      assert.match(printed, /限定事实（有来源）/);
      assert.match(printed, /运营初审 张一/);
      // Filing quality: what it covers (room, operator, products) and where to sign.
      assert.match(printed, /好物严选直播间/);
      assert.match(printed, /签字与盖章/);
      await shot(r.page, 'review-print');
    }
    await r.context.close();
  }
  await author.context.close();
  await reviewer.context.close();
});

test(`[${backend}] the duty officer starts the demo session, watches loadgen's alerts arrive, acknowledges one and opens the report`, async () => {
  const { context, page } = await loggedIn('reviewer');
  await page.click('header >> text=直播监控');
  await page.click('text=（演示场次）');
  const consoleUrl = page.url();
  await page.click('input[value=开播]');
  await page.waitForSelector('#live-status[data-state=open]');
  const before = await page.$$eval('[data-testid=alert]', (rows) => rows.length);

  // The load generator replays the room into this very session.
  const id = consoleUrl.split('/').pop();
  const tokenArgs = ['admin', 'create-token', '--data-dir', dataDir, '--user', 'reviewer', '--name', 'loadgen'];
  if (dbUrl) tokenArgs.push('--database-url', dbUrl);
  const token = execFileSync(bin, tokenArgs, { env: { ...process.env, LIVEGUARD_LOG: 'error', LIVEGUARD_BIN: undefined } }).toString().trim().split('\n').pop();
  const out = execFileSync(bin, ['loadgen', '--target', baseUrl, '--token', token, '--sessions', id, '--rate', '40', '--duration', '3', '--violations', '0.3'],
    { env: { ...process.env, LIVEGUARD_BIN: undefined } }).toString();
  const result = JSON.parse(out.trim().split('\n').pop());
  assert.equal(result.lost, 0, out);
  assert.ok(result.alerts > 0, out);
  assert.equal(result.processed, result.sent, out);

  // Alerts arrived on the open console without a reload (server-sent events).
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=alert]').length > n, before);
  assert.equal(page.url(), consoleUrl);

  // A promise said on air appears under 承诺跟进 at once, without a reload.
  const tasksBefore = await page.$$eval('[data-testid=task]', (rows) => rows.length);
  const said = await fetch(`${baseUrl}/api/v1/live/sessions/${id}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events: [{ key: 'e2e-promise-1', kind: 'transcript', at_ms: Date.now(), text: '坏果包赔，七天无理由退换' }] }),
  });
  assert.equal(said.status, 200, await said.text());
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=task]').length > n, tasksBefore, { timeout: 10000 });
  assert.equal(page.url(), consoleUrl);
  // The counters catch up with what was stored (checked against the database every 5 s):
  // loadgen's events and the promise.
  await page.waitForFunction((n) => Number(document.getElementById('stat-events').textContent) === n,
    result.processed + 1, { timeout: 15000 });
  await shot(page, 'live-console');

  // Acknowledge the newest alert; the page comes back with it acknowledged.
  await Promise.all([page.waitForURL(/\/live\/\d+/), page.click('#alert-rows tr:first-child button:has-text("确认")')]);
  assert.match(await page.textContent('#alert-rows tr:first-child .alert-state'), /已确认/);
  // No raw phone number from the violating comments reached the page.
  assert.ok(!(await page.content()).includes('13812345678'));

  // From a phone (390 px wide) the duty officer still has every action.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  assert.ok(await page.isVisible('#alert-rows tr:first-child button:has-text("解决")'), 'resolve is reachable at 390 px');
  assert.ok(await page.isVisible('[data-testid=acknowledge-all]') || !(await page.$('[data-testid=acknowledge-all]')));
  await shot(page, 'live-console-phone');
  await page.setViewportSize({ width: 1200, height: 900 });

  await page.click('text=场次报告');
  assert.match(await page.textContent('[data-testid=report-events]'), new RegExp(String(result.processed + 1)));
  await shot(page, 'live-report');
  await context.close();
});

test(`[${backend}] a newcomer runs the demo lottery end to end, a customer-service agent records a claim, and the downloaded bundle verifies offline`, async () => {
  const { context, page } = await loggedIn('reviewer');
  await page.click('header >> text=抽奖');
  await page.click('text=演示福袋');
  const lotteryUrl = page.url();
  const id = lotteryUrl.split('/').pop();
  await Promise.all([page.waitForURL(lotteryUrl), page.click('input[value=提交承诺并公示]')]);
  assert.match(await page.textContent('[data-testid=lottery-state]'), /已承诺/);

  // Close entry with an uploaded list; a staff account is excluded by its platform id.
  await page.check('input[name=source][value=list]');
  await page.fill('textarea[name=accounts]', ['fan-01', 'fan-02', 'fan-03', 'fan-04', 'fan-05', 'fan-06', 'fan-02', 'staff-9'].join('\n'));
  await page.fill('textarea[name=exclusions]', 'staff-9=员工');
  await Promise.all([page.waitForURL(lotteryUrl), page.click('input[value=截止报名并承诺名单]')]);
  assert.match(await page.textContent('[data-testid=lottery-state]'), /报名截止/);

  // The recorded round's published signature is filled in; the draw verifies it.
  await Promise.all([page.waitForURL(lotteryUrl), page.click('input[value=开奖]')]);
  assert.match(await page.textContent('[data-testid=announcement]'), /开奖结果公布/);
  assert.equal(await page.$$eval('[data-testid=claim]', (rows) => rows.length), 5);
  await shot(page, 'lottery-drawn');
  await context.close();

  // A viewer checks the public page without an account and finds their code.
  // On a phone (390 px), as a consumer would.
  const viewer = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const vpage = await viewer.newPage();
  await vpage.goto(`${baseUrl}/public/lotteries/${id}/verify`);
  await vpage.fill('input[name=account]', 'fan-03');
  await Promise.all([vpage.waitForURL(/account=fan-03/), vpage.click('input[value=查我的编码]')]);
  assert.match(await vpage.textContent('[data-testid=inclusion]'), /在抽奖名单中/);
  // The answer comes first, in words: won (with the prize) or not.
  assert.match(await vpage.textContent('[data-testid=verdict]'), /您已中奖|未中奖/);
  await shot(vpage, 'public-lottery-phone');
  const resp = await vpage.request.get(`${baseUrl}/public/lotteries/${id}/bundle.json`);
  assert.equal(resp.status(), 200);
  const bundle = await resp.json();

  // Nobody can recompute an entrant's code from the published salt and a guessed account
  // (security review F7): the codes are keyed with the deployment's secret.
  const salted = (account) => {
    const h = createHash('sha256');
    h.update(Buffer.from('liveguard-entrant\0'));
    h.update(Buffer.from(bundle.entrants.salt, 'hex'));
    h.update(Buffer.from(account));
    return h.digest('hex');
  };
  const fans = ['fan-01', 'fan-02', 'fan-03', 'fan-04', 'fan-05', 'fan-06'];
  assert.ok(fans.every((a) => !bundle.entrants.codes.includes(salted(a))), 'codes are not recomputable');
  // Customer service finds the first winner's account through the public lookup (the
  // winner's account is checked again when the claim is recorded).
  let winner;
  for (const a of fans) {
    const r = await vpage.request.get(`${baseUrl}/public/lotteries/${id}/code?account=${a}`);
    if ((await r.json()).code === bundle.winners[0].code) winner = a;
  }
  await viewer.close();
  assert.ok(winner, 'the first winner is one of the uploaded accounts');
  const cs = await loggedIn('service');
  await cs.page.goto(lotteryUrl);
  const row = cs.page.locator('[data-testid=claim]').first();
  await row.locator('input[name=account]').fill(winner);
  await row.locator('input[name=name]').fill('王小红');
  await row.locator('input[name=phone]').fill('13900001234');
  await row.locator('input[name=address]').fill('上海市浦东新区世纪大道 100 号');
  await Promise.all([cs.page.waitForURL(lotteryUrl), row.locator('input[value=登记兑奖]').click()]);
  assert.match(await cs.page.locator('[data-testid=claim]').first().textContent(), /已登记收货信息[\s\S]*13900001234/);
  await cs.context.close();

  // Offline: the bundle verifies; a tampered copy does not.
  const dir = mkdtempSync(join(tmpdir(), 'lg-e2e-bundle-'));
  try {
    const good = join(dir, 'bundle.json');
    writeFileSync(good, JSON.stringify(bundle));
    const env = { ...process.env, LIVEGUARD_LOG: 'error', LIVEGUARD_BIN: undefined };
    execFileSync(bin, ['lottery', 'verify', good], { env });
    const tampered = structuredClone(bundle);
    [tampered.winners[0].code, tampered.winners[1].code] = [tampered.winners[1].code, tampered.winners[0].code];
    const bad = join(dir, 'tampered.json');
    writeFileSync(bad, JSON.stringify(tampered));
    const r = spawnSync(bin, ['lottery', 'verify', bad], { env });
    assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(`[${backend}] customer service answers the overdue case, imports a platform export and opens a case's evidence`, async () => {
  const { context, page } = await loggedIn('service');
  await page.click('header >> text=投诉与售后');
  await page.waitForSelector('[data-testid=case-queue]');
  // The overdue case is on top, in red, with its clock.
  const first = page.locator('[data-testid=case-queue] tbody tr').first();
  assert.equal(await first.getAttribute('class'), 'overdue');
  assert.match(await first.textContent(), /首次回复 已超期/);
  await shot(page, 'desk-queue');
  await first.locator('a').first().click();
  await page.waitForSelector('[data-testid=reply-form]');
  // A reply the rules block is refused and kept; the template reply goes out.
  const template = await page.inputValue('[data-testid=reply-form] textarea[name=text]');
  assert.match(template, /^您好/);
  await page.fill('[data-testid=reply-form] textarea[name=text]', '加我微信 wx_shop888 私下转账退款更快');
  await page.click('[data-testid=reply-form] button:has-text("发送回复")');
  await page.waitForSelector('.error');
  assert.match(await page.textContent('.error'), /回复未发送/);
  assert.match(await page.inputValue('[data-testid=reply-form] textarea[name=text]'), /wx_shop888/);
  await page.fill('[data-testid=reply-form] textarea[name=text]', template);
  await page.click('[data-testid=reply-form] button:has-text("发送回复")');
  await page.waitForSelector('[data-testid=clocks]');
  assert.match(await page.textContent('[data-testid=clocks]'), /超时完成/);
  assert.match(await page.textContent('main'), /已回复/);
  await shot(page, 'desk-case');

  // Import the sample export: the preview names the bad row; the rest goes in once.
  await page.goto(`${baseUrl}/desk/import`);
  await page.setInputFiles('input[type=file]', join(import.meta.dirname, '..', 'testdata', 'desk', 'aftersales-export.csv'));
  await page.waitForFunction(() => document.querySelector('input[name=file_base64]').value.length > 0);
  await page.click('button:has-text("预览并逐行校验")');
  await page.waitForSelector('[data-testid=import-errors]');
  assert.match(await page.textContent('[data-testid=import-errors]'), /11[\s\S]*申请时间/);
  await page.check('input[name=import_valid]');
  await page.click('[data-testid=import-commit]');
  await page.waitForSelector('[data-testid=import-done]');
  assert.match(await page.textContent('[data-testid=import-done]'), /已导入 9 个新案件/);
  await shot(page, 'desk-import');

  // The case tied to the demo live session gathers its evidence.
  await page.goto(`${baseUrl}/desk?topic=false_promotion`);
  const ids = await page.$$eval('[data-testid=case-queue] tbody tr', (rows) => rows.map((r) => r.dataset.case));
  let found = false;
  for (const id of ids) {
    await page.goto(`${baseUrl}/desk/${id}/evidence`);
    if (await page.locator('[data-testid=evidence-session]').count()) { found = true; break; }
  }
  assert.ok(found, 'a case on the demo session');
  assert.match(await page.textContent('[data-testid=evidence-session]'), /演示场次/);
  await shot(page, 'desk-evidence');
  await context.close();
});
