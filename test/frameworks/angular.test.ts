/** The frameworks guide's Angular snippet, run in an injection context of its own. */
import { computed, type EnvironmentInjector, Injector, runInInjectionContext } from '@angular/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationStore } from '../../src/index.js';
import { A, B, C, syncedHarness } from '../fixtures.js';
import { injectInbox } from './angular.js';
import { countListSubscriptions } from './subscriptions.js';

let store: ConversationStore | undefined;
afterEach(() => store?.close());

describe('Angular: toSignal over the store', () => {
  it('reads the inbox as signals, follows a local write, and lets go when destroyed', async () => {
    ({ store } = await syncedHarness());
    const subscriptions = countListSubscriptions(store);
    // What a component's injector is to its fields: Injector.create makes an environment
    // injector, whose destroy() ends what toSignal subscribed to.
    const injector = Injector.create({ providers: [] }) as EnvironmentInjector;
    const target = store;
    const inbox = runInInjectionContext(injector, () => injectInbox(target));
    const shown = computed(() => inbox.page()?.data.map((row) => row.id));
    expect(shown()).toBeUndefined();
    await vi.waitFor(() => expect(shown()).toEqual([A.id, B.id, C.id]));
    expect(inbox.status()?.state).toBe('idle');

    await target.conversations.update(C.id, { archived_at: 1_700_000_000 });
    await vi.waitFor(() => expect(shown()).toEqual([A.id, B.id]));
    await vi.waitFor(() => expect(inbox.unsent()).toEqual(new Set([C.id])));
    expect(subscriptions).toEqual({ opened: 1, active: 1 });

    injector.destroy();
    expect(subscriptions.active).toBe(0);
  });
});
