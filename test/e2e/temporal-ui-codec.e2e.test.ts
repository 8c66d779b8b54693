/**
 * Issue 11 §4, in a browser: the Temporal Web UI shows a matter's input decoded only through the
 * codec endpoint, and only for a reader the endpoint lets in. Headless Chromium (Debian's, found or
 * installed by scripts/provision.ts) drives the dev server's real UI, started with
 * `--ui-codec-endpoint` as `npm start` does. In production the UI sends the user's OIDC token
 * (TEMPORAL_CODEC_PASS_ACCESS_TOKEN); the dev UI has no login, so the browser here adds the
 * supervisor's key to the codec requests, as that setting would add the token.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findChromium } from '../../scripts/provision.js';
import { useStack } from '../helpers/stack.js';

const county = '610124';
const stack = useStack({
  queue: 'e2e-ui-codec',
  ui: true,
  keys: {
    operator: { county, roles: ['operator'] },
    supervisor: { county, roles: ['supervisor'] },
    otherCounty: { county: '610125', roles: ['supervisor'] },
  },
});

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: await findChromium(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 120_000);
afterAll(async () => browser?.close());

interface CodecCall {
  status: number;
  hadKey: boolean;
}

/** A page in a new context whose codec requests carry `key` (none when undefined), and the calls it made. */
async function uiPage(key: string | undefined): Promise<{ page: Page; context: BrowserContext; calls: CodecCall[] }> {
  const context = await browser.newContext();
  const calls: CodecCall[] = [];
  await context.route('**/v1/codec/**', async (route) => {
    const request = route.request();
    const headers = { ...request.headers(), ...(key && request.method() === 'POST' ? { authorization: `Bearer ${key}` } : {}) };
    await route.continue({ headers });
  });
  const page = await context.newPage();
  page.on('response', (res) => {
    if (res.url().includes('/v1/codec/decode') && res.request().method() === 'POST') {
      calls.push({ status: res.status(), hadKey: !!res.request().headers().authorization });
    }
  });
  return { page, context, calls };
}

const waitFor = async (page: Page, predicate: string, arg: string) =>
  page.waitForFunction(new Function('arg', predicate) as (arg: string) => boolean, arg, { timeout: 60_000 });

describe('the Temporal Web UI and the codec endpoint', () => {
  test('a matter’s subject shows decoded for the county’s supervisor; without a key, or for another county, the UI shows no name', async () => {
    const name = '界面解码测试业户丙丁';
    const launched = await stack.call('operator', 'POST', '/v1/matters', {
      scenario: 'self-built-housing',
      county,
      subject: { name, kind: 'house', address: '鄠邑区界面路1号' },
      facts: { township: '610124100', reportedHazard: true },
    });
    expect(launched.status, JSON.stringify(launched.body)).toBe(201);
    const matterId = launched.body.workflowId as string;
    const url = `${stack.temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(matterId)}`;

    // The supervisor: the UI asks the endpoint, gets 200, and the name is on the page.
    const sup = await uiPage(stack.keys.supervisor);
    await sup.page.goto(url);
    await waitFor(sup.page, 'return document.body.innerText.includes(arg)', name);
    const shown = await sup.page.locator('body').innerText();
    expect(shown).toContain('鄠邑区界面路1号');
    expect(shown).not.toContain('Codec Server could not connect');
    expect(shown).not.toContain('encryption-key-id');
    expect(sup.calls.length).toBeGreaterThan(0);
    expect(sup.calls.every((c) => c.status === 200 && c.hadKey)).toBe(true);

    // No key, and another county's supervisor: the endpoint refuses (401, 403) and no name shows.
    for (const [key, status] of [
      [undefined, 401],
      [stack.keys.otherCounty, 403],
    ] as const) {
      const other = await uiPage(key);
      await other.page.goto(url);
      // The UI has asked the endpoint, been refused, says so, and shows the input as it is stored:
      // ciphertext with its key id and county.
      await waitFor(
        other.page,
        'const t = document.body.innerText; return t.includes(arg) && t.includes("encryption-key-id")',
        'Codec Server could not connect',
      );
      expect(other.calls.length).toBeGreaterThan(0);
      expect(other.calls.every((c) => c.status === status && c.hadKey === !!key)).toBe(true);
      expect(await other.page.locator('body').innerText()).not.toContain(name);
      await other.context.close();
    }
    await sup.context.close();
  });
});
