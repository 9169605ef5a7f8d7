/**
 * The status page in a real browser: the fixture page served over HTTP, opened
 * in headless Chromium with JavaScript off (the page must not need it), and
 * checked on what a person actually sees. Leaves full-page screenshots (light
 * and dark) in `test-artifacts/` for eyes.
 *
 * Needs Debian's chromium at /usr/bin/chromium: without it the suite fails on
 * CI and is skipped elsewhere.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../test/tools.ts';
import { fixtureStatusView } from './fixtures.ts';
import { renderStatusPage } from './render.ts';

const chromiumBinary = requireBinary('chromium');
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

describe.skipIf(chromiumBinary.skip)('the status page in headless Chromium', () => {
  let server: Server | undefined;
  let context: BrowserContext | undefined;
  let userDataDir: string | undefined;
  let page: Page;
  const requested: string[] = [];

  beforeAll(async () => {
    const executablePath = chromiumBinary.need();
    const body = renderStatusPage(fixtureStatusView());
    server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(body);
    });
    const s = server;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = s.address() as AddressInfo;

    userDataDir = await mkdtemp(join(tmpdir(), 'burnwatch-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      javaScriptEnabled: false,
      viewport: { width: 1440, height: 900 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await context?.close();
    if (server) {
      const s = server;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  it('loads nothing but the page itself (no external assets)', () => {
    expect(requested).toHaveLength(1);
  });

  it('leads with the firing page alert and the overall state', async () => {
    const state = page.getByLabel('Overall state');
    await expect.poll(() => state.innerText()).toContain('PAGING');
    const text = await state.innerText();
    expect(text).toContain('1 alert firing');
    expect(text).toContain('events-errors page at 15.1x over 5m/1h');
    expect(text).toContain('1 alert pending');
    expect(text).toContain('1 SLO without data');
    expect(await page.title()).toBe('PAGING: 1 alert firing · burnwatch status');
  });

  it('lists the firing alert first in the alerts table, with the window pair that holds', async () => {
    const rows = page.locator('section[aria-labelledby="alerts-h"] tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    const first = await rows.nth(0).innerText();
    expect(first).toContain('firing');
    expect(first).toContain('events-errors');
    expect(first).toMatch(/5m\/1h: 18\.2x and 15\.1x vs 14\.4x\s+holds/);
    expect(first).toContain('8m ago');
    expect(await rows.nth(1).innerText()).toContain('analytics-latency');
    expect(await rows.nth(2).innerText()).toMatch(/no data[\s\S]*uptime[\s\S]*silent for 42m \(alerts after 5m\)/);
  });

  it('shows every SLO, firing first, with SLI, budget remaining and burn rates as text', async () => {
    const table = page.locator('section[aria-labelledby="slos-h"] table');
    const names = await table.locator('tbody th .name').allInnerTexts();
    expect(names).toEqual([
      'events-errors',
      'analytics-latency',
      'uptime',
      'cache-hit-ratio',
      'flags-latency',
      'assignment-latency',
      'crud-latency',
    ]);
    const events = await table.locator('tr#slo-events-errors').innerText();
    expect(events).toContain('99.91 %'); // SLI over 30d, truncated
    expect(events).toContain('18.7 %'); // budget remaining
    expect(events).toContain('exhausts in 7h 25m');
    for (const burn of ['18.2x', '16.3x', '15.1x', '9.8x', '4.2x', '2.1x', '0.93x']) expect(events).toContain(burn);
    expect(events).toContain('page: firing');
    expect(events).toContain('ticket: ok');

    const uptime = await table.locator('tr#slo-uptime').innerText();
    expect(uptime).toContain('no data');
    expect(uptime).not.toMatch(/NaN|\b0 %|\b0x/);
    expect(uptime).toContain('no data for 42m');

    await expect.poll(() => page.getByText('Error budget remaining', { exact: true }).isVisible()).toBe(true);
    await expect.poll(() => page.getByText('Burn rate by alert window').isVisible()).toBe(true);
  });

  it("draws the firing SLO's budget bar at its remaining share", async () => {
    const bar = page.getByRole('progressbar', { name: 'Error budget remaining for events-errors' });
    await expect.poll(() => bar.getAttribute('aria-valuenow')).toBe('18.7');
    expect(await bar.getAttribute('aria-valuetext')).toBe('18.7 % of error budget remaining');
    const box = await bar.boundingBox();
    const fill = await bar.locator('div').boundingBox();
    expect(box && fill).toBeTruthy();
    if (box && fill) expect(fill.width / box.width).toBeCloseTo(0.187, 1);
    expect(await page.getByRole('progressbar').count()).toBe(6); // uptime has no data: no bar
  });

  it('shows recent runs with their status as words', async () => {
    const runs = page.locator('section[aria-labelledby="runs-h"] tbody tr');
    const statuses = await runs.locator('td:nth-child(2)').allInnerTexts();
    expect(statuses).toEqual(['running', 'passed', 'failed', 'passed', 'passed', 'aborted', 'error', 'interrupted']);
    const failed = await runs.nth(2).innerText();
    expect(failed).toContain('events');
    expect(failed).toContain('200,000');
    expect(failed).toContain('1.82 %');
    expect(failed).toContain('1 passed, 2 failed');
    expect(await page.getByText('*/10 * * * * *').isVisible()).toBe(true);
  });

  it('fits every table in a 1440 px wide window without sideways scrolling', async () => {
    const boxes = page.locator('.scroll');
    const n = await boxes.count();
    expect(n).toBe(4);
    for (let i = 0; i < n; i++) {
      const outer = await boxes.nth(i).boundingBox();
      const inner = await boxes.nth(i).locator('table').boundingBox();
      expect(outer && inner).toBeTruthy();
      if (outer && inner) expect(inner.width).toBeLessThanOrEqual(outer.width);
    }
  });

  it('saves full-page screenshots in light and dark', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-dark.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'status-page.png'))).toBe(true);
  });
});
