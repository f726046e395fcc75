/**
 * `<protocol-offline-devtools>` in real Chromium, inside the PWA example (real IndexedDB,
 * the reference server over HTTP): the status, an offline edit in the outbox until the
 * network returns, the debug stream with its filter, and a refused write retried from it.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, startExample } from '../../examples/pwa/serve.js';
import { SEED_CONVERSATIONS } from '../../src/testing/index.js';
import { launch } from './chromium.js';

let example: RunningExample;
let browser: Awaited<ReturnType<typeof launch>>;

beforeAll(async () => {
  example = await startExample({ quiet: true });
});
afterAll(async () => {
  await example?.close();
});
afterEach(async () => {
  await browser?.close();
});

/** The example after its first sync, with the devtools element opened from its header. */
async function openDevtools(): Promise<{ page: Page; devtools: Locator }> {
  example.api.reset(SEED_CONVERSATIONS);
  example.api.clearRequests();
  browser = await launch();
  const page = await browser.context.newPage();
  await page.goto(example.url);
  await page
    .locator('[data-testid=status]')
    .filter({ hasText: /^Synced$/ })
    .waitFor();
  // Playwright's CSS locators pierce open shadow roots: the element's parts are reachable.
  const devtools = page.locator('protocol-offline-devtools');
  await devtools.locator('[part=toggle]').click();
  return { page, devtools };
}

const field = (devtools: Locator, name: string) => devtools.locator(`dd[data-field=${name}]`);
const firstRowId = async (page: Page) =>
  (await page.locator('[data-testid=row]').first().getAttribute('data-id')) as string;

describe('the devtools element in the PWA example', () => {
  it('shows the status, and an offline edit in the outbox until the network returns', async () => {
    const { page, devtools } = await openDevtools();
    await expect(devtools.getAttribute('open')).resolves.toBe('');
    await field(devtools, 'state')
      .filter({ hasText: /^idle$/ })
      .waitFor();
    await expect(field(devtools, 'pending').textContent()).resolves.toBe('0');
    await expect(field(devtools, 'last-synced').textContent()).resolves.toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
    );
    await expect(devtools.locator('[part=summary]').textContent()).resolves.toBe(
      'idle · 0 pending',
    );

    const id = await firstRowId(page);
    await page.locator('[data-testid=offline]').check();
    await page.locator(`[data-id="${id}"] [data-testid=mute]`).click();
    const entry = devtools.locator('[part=outbox-entry]');
    await entry.filter({ hasText: id }).waitFor();
    // Record, op, fields; attempts and the last error depend on whether a round ran yet.
    const cells = await entry.locator('td').allTextContents();
    expect(cells.slice(0, 3)).toEqual([id, 'update', 'is_muted']);
    await field(devtools, 'state')
      .filter({ hasText: /^offline$/ })
      .waitFor();
    await expect(field(devtools, 'pending').textContent()).resolves.toBe('1');

    await page.locator('[data-testid=offline]').uncheck();
    await entry.waitFor({ state: 'detached', timeout: 15_000 });
    await field(devtools, 'pending').filter({ hasText: /^0$/ }).waitFor();
    expect(example.api.get(id)?.is_muted).toBe(true);
  });

  it('shows the debug stream with a filter, and retries a refused write', async () => {
    const { page, devtools } = await openDevtools();
    const id = await firstRowId(page);
    example.api.faults.failNext(422, 1, { methods: ['PUT'], message: 'Not <b>allowed</b>' });
    await page.locator(`[data-id="${id}"] [data-testid=pin]`).click();
    const rejection = devtools.locator('[part=rejection]');
    await rejection.waitFor({ timeout: 15_000 });
    await expect(rejection.locator('span').allTextContents()).resolves.toEqual([
      id,
      'update is_pinned',
      '422 invalid_request: Not <b>allowed</b>',
      expect.stringMatching(/^\d{4}-/),
    ]);
    await expect(devtools.locator('b').count()).resolves.toBe(0);

    const events = devtools.locator('[part=event]:visible');
    await events.filter({ hasText: `PUT /v1/conversations/${id} 422` }).waitFor();
    await devtools.locator('[part=filter]').fill('rejected recordId');
    await expect(events.allTextContents()).resolves.toEqual([
      expect.stringMatching(new RegExp(`^[\\d:.]+ rejected recordId=${id} op=update status=422`)),
    ]);

    await rejection.locator('[part=retry]').click();
    await rejection.waitFor({ state: 'detached' });
    await expect.poll(() => example.api.get(id)?.is_pinned, { timeout: 15_000 }).toBe(true);
    await devtools.locator('[part=filter]').fill(`PUT /v1/conversations/${id} 200`);
    await events.first().waitFor({ timeout: 15_000 });
  });
});
