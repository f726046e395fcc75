/** The frameworks guide's Solid snippet, run in a reactive root of Solid's browser build. */
import { createRoot, createSignal } from 'solid-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationStore, ListParams } from '../../src/index.js';
import { A, B, C, syncedHarness } from '../fixtures.js';
import { createConversations, createSyncStatus } from './solid.js';
import { countListSubscriptions } from './subscriptions.js';

// Node resolves solid-js to its server build, which does not react; a bundler for the
// browser picks this one.
vi.mock('solid-js', () => import('solid-js/dist/solid.js' as string));

let store: ConversationStore | undefined;
afterEach(() => store?.close());

const ids = (page: { data: { id: string }[] } | undefined) => page?.data.map((row) => row.id);

describe('Solid: from() over the store', () => {
  it('reads a page, follows its params and a local write, and lets go on dispose', async () => {
    ({ store } = await syncedHarness());
    const target = store;
    const subscriptions = countListSubscriptions(target);
    const { page, setParams, status, dispose } = createRoot((dispose) => {
      const [params, setParams] = createSignal<ListParams>({ limit: 1 });
      return {
        page: createConversations(target, params),
        setParams,
        status: createSyncStatus(target),
        dispose,
      };
    });
    expect(page()).toBeUndefined();
    await vi.waitFor(() => expect(ids(page())).toEqual([A.id]));
    expect(status()?.state).toBe('idle');

    setParams({ limit: 3 });
    await vi.waitFor(() => expect(ids(page())).toEqual([A.id, B.id, C.id]));
    expect(subscriptions).toEqual({ opened: 2, active: 1 });

    await target.conversations.delete(B.id);
    await vi.waitFor(() => expect(ids(page())).toEqual([A.id, C.id]));

    dispose();
    expect(subscriptions.active).toBe(0);
  });
});
