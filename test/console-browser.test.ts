// The browser console in a real headless Chromium: send a sample from the page, see the delivery
// arrive (Server-Sent Events) and the obligation's balance change in the sandbox panel.
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'puppeteer-core';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '#lib/local/server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
const HOW = `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`;

// Under CI a missing browser is a failure, not a skip: the console would go untested.
if (!present && process.env.CI === 'true') throw new Error(HOW);
if (!present) console.warn(`skipping the browser console test: ${HOW}`);

const SAMPLE = 'events/stripe/payment_intent.succeeded.json';
const OBLIGATION = '65a1f0c2e4b0a1d2c3e4f501 6669999 API';

let server: LocalServer;
let browser: Browser | undefined;
let page: Page;

beforeAll(async () => {
  if (!present) return;
  // The page signs with the process's local secrets, and the server verifies with the same ones.
  server = await startLocalServer({ freshSandbox: true, logLevel: 'SILENT' });
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const balance = () =>
  page.$eval(`tr[data-obligation="${OBLIGATION}"] .balance`, (cell) => cell.textContent ?? '');

describe.skipIf(!present)('browser console', () => {
  it('sends a Stripe sample from the page: the delivery appears and the balance goes down', async () => {
    await page.goto(server.url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector(`option[value="${SAMPLE}"]`);
    await page.waitForSelector(`tr[data-obligation="${OBLIGATION}"]`);
    const before = await balance();

    await page.select('#sample', SAMPLE);
    await page.click('#send');

    const decision = await page.waitForSelector('details.delivery .decision.applied');
    expect(await decision?.evaluate((node) => node.textContent)).toBe('applied');
    expect(await page.$eval('details.delivery summary', (node) => node.textContent)).toContain('stripe');
    // Evaluated in the page (the test's own TypeScript has no DOM types).
    const cell = `tr[data-obligation="${OBLIGATION}"] .balance`;
    await page.waitForFunction(
      `document.querySelector(${JSON.stringify(cell)})?.textContent !== ${JSON.stringify(before)}`,
    );
    expect(Number(await balance())).toBe(Number(before) - 150_000);

    // Opened, it shows the request with its signature masked, the command and the wolkvox calls.
    await page.click('details.delivery summary');
    const text = await page.$eval('details.delivery', (node) => node.textContent ?? '');
    expect(text).toContain('"stripe-signature": "••••••"');
    expect(text).toContain('collections/updateObligation.php → 200');

    // Replayed as received: the ledger has it, so it is acknowledged and not applied twice.
    await page.click('details.delivery .replay');
    await page.waitForSelector('details.delivery .decision.skipped');
    expect(await page.$eval('details.delivery summary', (node) => node.textContent)).toContain(
      'replay of #1',
    );
    expect(Number(await balance())).toBe(Number(before) - 150_000);
  });
});
