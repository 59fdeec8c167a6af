// Browser journeys in real headless Chromium (Debian's /usr/bin/chromium), driven by
// playwright-core. The server is the real `liveguard serve --demo` binary on a free port.
//
// Environment:
//   LIVEGUARD_BIN           path to the liveguard binary (required)
//   LIVEGUARD_DATABASE_URL  run against this database instead of SQLite (optional)
//   LIVEGUARD_E2E_SHOTS     directory for screenshots (optional)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
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
  await page.goto(`${baseUrl}/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', `demo-${username}-2026`);
  await Promise.all([page.waitForURL(`${baseUrl}/`), page.click('input[type=submit]')]);
  return { context, page };
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

test(`[${backend}] the compliance lead browses, filters and verifies the audit log`, async () => {
  const { context, page } = await loggedIn('lead');
  assert.match(await page.textContent('header'), /审计日志/);
  await page.click('header >> text=审计日志');
  await page.waitForSelector('table');
  assert.match(await page.textContent('table'), /session\.login/);
  await page.fill('input[name=action]', 'user.create');
  await page.click('input[value=筛选]');
  const actions = await page.$$eval('tbody tr td:nth-child(5)', (tds) => tds.map((t) => t.textContent));
  assert.ok(actions.length >= 8 && actions.every((a) => a === 'user.create'), JSON.stringify(actions));
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
