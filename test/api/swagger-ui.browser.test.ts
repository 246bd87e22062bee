import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../support/http';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

const OUTPUT = join('test-output', 'browser');
const CREATE_TENANT = '.opblock-post:has(.opblock-summary-path[data-path="/api/v1/tenants"])';

/**
 * Swagger UI in Debian's Chromium against the API on a loopback port, the way the runbook uses it.
 * Every request to another origin is refused, so the page works only if it needs nothing but this
 * service, with or without internet on the machine running the test.
 */
describe('Swagger UI in a real browser, offline', () => {
  let stack: TestStack;
  let server: ReturnType<typeof serve>;
  let origin: string;
  let browser: Browser;
  const foreign: string[] = [];

  beforeAll(async () => {
    // Installs Debian's chromium when missing (scripts/test.sh does it up front).
    const executablePath = execFileSync('bash', ['scripts/ensure-chromium.sh'], { encoding: 'utf8' }).trim();
    stack = await startTestStack();
    server = await new Promise((resolve) => {
      const s = serve({ fetch: (req) => stack.app.raw.fetch(req), port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Root has no user namespaces for Chromium's sandbox.
    browser = await puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    mkdirSync(OUTPUT, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    server?.close();
    await stack?.close();
  });

  async function openSwagger(): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const url = req.url();
      if (url.startsWith(`${origin}/`) || url.startsWith('data:') || url.startsWith('blob:')) return void req.continue();
      foreign.push(url);
      void req.abort('internetdisconnected');
    });
    await page.goto(`${origin}/swagger`, { waitUntil: 'load' });
    return page;
  }

  it('lists the operations, authorizes with a bearer token and creates a tenant with "Try it out"', async () => {
    const page = await openSwagger();
    const screenshot = (name: string) => page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true });
    try {
      expect.soft(foreign, 'requests to other origins').toEqual([]);
      await page.waitForSelector(CREATE_TENANT, { timeout: 20_000 });

      const token = await stack.auth.token({ username: 'swagger-user', roles: ['platform-admin'] });
      await page.click('button.authorize');
      // Pasted in one go (Input.insertText): typing a JWT key by key takes long on a loaded machine.
      await page.focus('.modal-ux input');
      await page.keyboard.sendCharacter(token);
      await page.click('.modal-ux .auth-btn-wrapper button.authorize');
      await page.waitForSelector('.modal-ux .auth-btn-wrapper button[aria-label="Remove authorization"]');
      await page.click('.modal-ux button.btn-done');

      await page.click(`${CREATE_TENANT} .opblock-summary-control`);
      await page.click(`${CREATE_TENANT} .try-out__btn`);
      const name = uniqueName('swagger');
      const body = await page.waitForSelector(`${CREATE_TENANT} textarea.body-param__text`);
      // Pasted over the selected example body, as a user would.
      await body!.evaluate((el) => (el as unknown as { select(): void }).select());
      await page.keyboard.sendCharacter(JSON.stringify({ name, companyName: 'Swagger Co', url: 'https://swagger.example' }));
      await page.click(`${CREATE_TENANT} button.execute`);

      const status = await page.waitForSelector(`${CREATE_TENANT} .live-responses-table .response .response-col_status`, { timeout: 30_000 });
      expect(await status!.evaluate((el) => el.textContent?.trim())).toBe('201');
      await screenshot('swagger-try-it-out');
      await (await page.$(CREATE_TENANT))!.screenshot({ path: join(OUTPUT, 'swagger-post-tenants.png') });

      const created = await stack.app.request(`/api/v1/tenants/${name}`);
      expect(created.status).toBe(200);
      expect(await readJson(created)).toMatchObject({ name, companyName: 'Swagger Co' });
      expect(foreign, 'requests to other origins').toEqual([]);
    } catch (err) {
      await screenshot('swagger-failure');
      throw err;
    } finally {
      await page.close();
    }
  }, 120_000);
});
