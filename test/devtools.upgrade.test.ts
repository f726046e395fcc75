// @vitest-environment happy-dom
/**
 * An element already in the page, its `store` set, before `defineDevtools()` runs (a
 * module that loads late): the upgrade keeps the store and shows it. A file of its own:
 * the registry must not know the element yet.
 */
import { afterEach, expect, it } from 'vitest';
import { defineDevtools, type ProtocolOfflineDevtools } from '../src/devtools.js';
import type { ConversationStore } from '../src/index.js';
import { syncedHarness } from './fixtures.js';

let store: ConversationStore;
afterEach(async () => {
  document.body.replaceChildren();
  await store?.close().catch(() => {});
});

it('keeps a store set before the element was defined, and shows it once upgraded', async () => {
  ({ store } = await syncedHarness());
  document.body.innerHTML = '<protocol-offline-devtools open></protocol-offline-devtools>';
  const element = document.querySelector('protocol-offline-devtools') as ProtocolOfflineDevtools;
  element.store = store;
  defineDevtools();
  expect(element.store).toBe(store);
  expect(Object.hasOwn(element, 'store')).toBe(false);
  const state = element.shadowRoot?.querySelector('dd[data-field=state]');
  expect(state?.textContent).toBe('idle');
  expect(element.shadowRoot?.querySelector('[part=body]')?.hasAttribute('hidden')).toBe(false);
});
