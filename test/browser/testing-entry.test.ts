/**
 * protocol-offline/testing in a real browser page: the entry bundled for the browser
 * (as an app's bundler would) answers requests through `server.fetch`, with no Node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Testing from '../../src/testing/index.js';
import { bundleTestingEntry } from '../testing/bundle.js';
import { launch } from './chromium.js';

let browser: Awaited<ReturnType<typeof launch>>;
let bundle: string;

beforeAll(async () => {
  bundle = (await bundleTestingEntry({ format: 'iife', globalName: 'ProtocolTesting' })).code;
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

describe('the testing entry in Chromium', () => {
  it('creates and lists a conversation through server.fetch in a page', async () => {
    const page = await browser.context.newPage();
    await page.addScriptTag({ content: bundle });
    const answers = await page.evaluate(async () => {
      const { createReferenceServer } = (
        globalThis as unknown as { ProtocolTesting: typeof Testing }
      ).ProtocolTesting;
      const server = createReferenceServer({ token: 'page-token' });
      const headers = { authorization: 'Bearer page-token', 'content-type': 'application/json' };
      const created = await server.fetch(
        new Request('https://api.test/v1/conversations', {
          method: 'POST',
          headers,
          body: JSON.stringify({ contact_id: 'from-the-page' }),
        }),
      );
      const listed = await server.fetch(
        new Request('https://api.test/v1/conversations?limit=5', { headers }),
      );
      server.faults.loseNextReply();
      const lost = await server
        .fetch('/v1/conversations', { method: 'POST', headers, body: '{"group_id":"g"}' })
        .then(
          () => 'answered',
          (error: unknown) => (error as Error).name,
        );
      return {
        created: { status: created.status, body: await created.json() },
        listed: await listed.json(),
        lost,
        stored: server.all().length,
        nodeGlobals: typeof (globalThis as { process?: unknown }).process,
      };
    });
    expect(answers.nodeGlobals).toBe('undefined');
    expect(answers.created).toMatchObject({ status: 200, body: { contact_id: 'from-the-page' } });
    expect(answers.listed).toEqual({ has_more: false, data: [answers.created.body] });
    expect(answers.lost).toBe('TypeError');
    expect(answers.stored).toBe(2);
  });
});
