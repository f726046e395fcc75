// @vitest-environment happy-dom
/**
 * `<protocol-offline-devtools>` against a real store (fake IndexedDB, the reference server
 * in-process): what it shows of the status, the outbox, refused writes, conflicts and the
 * debug stream, that every value is text, and that it lets go of the store.
 */
import { Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEVTOOLS_TAG,
  defineDevtools,
  KEEP_EVENTS,
  type ProtocolOfflineDevtools,
} from '../src/devtools.js';
import type { ConversationStore, SyncStatus } from '../src/index.js';
import {
  A,
  B,
  C,
  conversation,
  eventually,
  type Harness,
  record,
  requests,
  syncedHarness,
} from './fixtures.js';

let h: Harness;
let store: ConversationStore;
const mounted: ProtocolOfflineDevtools[] = [];

afterEach(async () => {
  for (const element of mounted.splice(0)) element.remove();
  await store?.close().catch(() => {});
});

/** The element on the page, open, showing `target`. */
function mount(target: ConversationStore | null = store): ProtocolOfflineDevtools {
  defineDevtools();
  const element = document.createElement(DEVTOOLS_TAG);
  element.store = target;
  element.open = true;
  document.body.append(element);
  mounted.push(element);
  return element;
}

const all = (element: HTMLElement, selector: string) => [
  ...(element.shadowRoot as ShadowRoot).querySelectorAll<HTMLElement>(selector),
];
const one = (element: HTMLElement, selector: string) => {
  const found = all(element, selector)[0];
  if (found === undefined) throw new Error(`nothing matches ${selector}`);
  return found;
};
const text = (element: HTMLElement, selector: string) => one(element, selector).textContent;
const field = (element: HTMLElement, name: string) => text(element, `dd[data-field=${name}]`);
/** Each matching element's text cells (`td` or `span`), for rows and list items. */
const cells = (element: HTMLElement, selector: string) =>
  all(element, selector).map((row) =>
    [...row.querySelectorAll('td, span')].map((cell) => cell.textContent),
  );
const visibleEvents = (element: HTMLElement) =>
  all(element, '[part=event]')
    .filter((item) => !item.hidden)
    .map((item) => item.textContent ?? '');
const latest = (source: Observable<SyncStatus>) => {
  const seen = record(source);
  seen.stop();
  return seen.values.at(-1) as SyncStatus;
};

describe('defineDevtools', () => {
  it('registers the element once and returns the same class on every call', () => {
    const first = defineDevtools();
    expect(defineDevtools()).toBe(first);
    expect(customElements.get('protocol-offline-devtools')).toBe(first);
    expect(document.createElement('protocol-offline-devtools')).toBeInstanceOf(first);
  });
});

describe('<protocol-offline-devtools>', () => {
  it('collapses and expands its body from the header, reflecting the open attribute', async () => {
    ({ h, store } = await syncedHarness());
    const element = mount();
    element.open = false;
    const toggle = one(element, '[part=toggle]');
    expect(one(element, '[part=body]').hidden).toBe(true);
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(toggle.textContent).toContain('idle · 0 pending'); // the summary shows when closed
    toggle.click();
    expect(element.hasAttribute('open')).toBe(true);
    expect(one(element, '[part=body]').hidden).toBe(false);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
  });

  it('shows the sync status: state, pending, rejected, last synced and the last error', async () => {
    ({ h, store } = await syncedHarness());
    const element = mount();
    expect(field(element, 'state')).toBe('idle');
    expect(field(element, 'pending')).toBe('0');
    expect(field(element, 'rejected')).toBe('0');
    expect(field(element, 'last-synced')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(field(element, 'last-error')).toBe('none');

    h.network.offline = true;
    await store.conversations.update(A.id, { is_muted: true });
    await store.sync.now();
    const status = latest(store.sync.status$);
    expect(status.lastError).not.toBeNull();
    expect(field(element, 'state')).toBe('offline');
    expect(field(element, 'pending')).toBe('1');
    expect(field(element, 'last-error')).toBe(
      `${status.lastError?.name}: ${status.lastError?.message}`,
    );
    expect(field(element, 'last-error')).toMatch(/^NetworkError: /);
  });

  it('lists the outbox (record, op, field names, attempts, last error), re-read as it changes', async () => {
    ({ h, store } = await syncedHarness());
    const element = mount();
    expect(all(element, '[part=outbox-entry]')).toEqual([]);
    await store.conversations.update(A.id, { is_muted: true, archived_at: 1_700_000_000 });
    await eventually(() =>
      expect(cells(element, '[part=outbox-entry]')).toEqual([
        [A.id, 'update', 'is_muted, archived_at', '0', ''],
      ]),
    );
    h.network.offline = true;
    await store.sync.now({ pull: 'none' });
    const [entry] = await store.sync.listOutbox();
    await eventually(() =>
      expect(cells(element, '[part=outbox-entry]')).toEqual([
        [A.id, 'update', 'is_muted, archived_at', '1', entry?.lastError],
      ]),
    );
    h.network.offline = false;
    await store.sync.now({ pull: 'none' });
    await eventually(() => expect(all(element, '[part=outbox-entry]')).toEqual([]));
  });

  it('shows the names of the fields a write sets, never their values', async () => {
    ({ h, store } = await syncedHarness());
    const element = mount();
    await store.conversations.create({ contact_id: 'contact-secret-value' });
    await store.conversations.update(B.id, { pinned_message_id: 'message-secret-value' });
    await eventually(() => expect(all(element, '[part=outbox-entry]')).toHaveLength(2));
    const rows = cells(element, '[part=outbox-entry]');
    expect(rows.map((row) => row.slice(1, 3))).toEqual([
      ['create', 'contact_id'],
      ['update', 'pinned_message_id'],
    ]);
    expect(element.shadowRoot?.textContent).not.toContain('secret-value');
  });

  it('lists a refused write whose Retry sends it again and whose Discard forgets it', async () => {
    ({ h, store } = await syncedHarness());
    const element = mount();
    h.server.faults.failNext(422, 1, { methods: ['PUT'], message: 'Not allowed here' });
    await store.conversations.update(A.id, { is_pinned: true });
    await store.sync.now({ pull: 'none' });
    await eventually(() => expect(all(element, '[part=rejection]')).toHaveLength(1));
    const [shown] = cells(element, '[part=rejection]');
    expect(shown?.slice(0, 3)).toEqual([
      A.id,
      'update is_pinned',
      '422 invalid_request: Not allowed here',
    ]);
    expect(field(element, 'rejected')).toBe('1');

    one(element, '[part=rejection] [part=retry]').click();
    await eventually(() => expect(all(element, '[part=rejection]')).toEqual([]));
    await eventually(() => expect(all(element, '[part=outbox-entry]')).toHaveLength(1));
    await store.sync.now({ pull: 'none' });
    expect(h.server.get(A.id)?.is_pinned).toBe(true);

    h.server.faults.failNext(422, 1, { methods: ['PUT'] });
    await store.conversations.update(B.id, { is_muted: true });
    await store.sync.now({ pull: 'none' });
    await eventually(() => expect(all(element, '[part=rejection]')).toHaveLength(1));
    one(element, '[part=rejection] [part=discard]').click();
    await eventually(() => expect(all(element, '[part=rejection]')).toEqual([]));
    expect(await store.sync.listRejections()).toEqual([]);
    expect(requests(h.server, 'PUT')).toHaveLength(3); // refused, retried, refused: none after
  });

  it('shows each conflict of conflicts$, newest first', async () => {
    ({ h, store } = await syncedHarness());
    const element = mount();
    for (const [id, patch] of [
      [B.id, { is_pinned: true }],
      [C.id, { is_muted: true, archived_at: 1_700_000_000 }],
    ] as const) {
      h.network.offline = true;
      await store.conversations.update(id, patch);
      await store.sync.now({ pull: 'none' });
      h.server.remove(id); // another device deleted it
      h.network.offline = false;
      await store.sync.now({ pull: 'none' });
    }
    const shown = cells(element, '[part=conflict]');
    expect(shown.map((conflict) => conflict.slice(1))).toEqual([
      [C.id, 'deleted', 'is_muted, archived_at'],
      [B.id, 'deleted', 'is_pinned'],
    ]);
    expect(shown[0]?.[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    expect(text(element, '[part~=conflicts-count]')).toBe('2');
  });

  it('shows the debug events newest first, narrowed by the text filter', async () => {
    ({ h, store } = await syncedHarness());
    const element = mount();
    await store.conversations.update(C.id, { is_muted: true });
    await store.sync.now();
    const lines = visibleEvents(element).map((line) => line.replace(/^\S+ /, ''));
    expect(lines[0]).toMatch(/^round-end kind=full pushed=1 /);
    expect(lines.at(-1)).toBe('round-start kind=full');
    expect(lines).toContainEqual(
      expect.stringMatching(`^PUT /v1/conversations/${C.id} 200 \\d+ms$`),
    );

    const filter = one(element, '[part=filter]') as HTMLInputElement;
    filter.value = 'PUT /V1';
    filter.dispatchEvent(new Event('input'));
    expect(visibleEvents(element)).toHaveLength(1);
    expect(visibleEvents(element)[0]).toContain(`PUT /v1/conversations/${C.id} 200`);
    const total = all(element, '[part=event]').length;
    expect(text(element, '[part~=events-count]')).toBe(`1 of ${total}`);

    await store.sync.now({ pull: 'none' }); // new events obey the filter too
    expect(visibleEvents(element)).toHaveLength(1);
    filter.value = '';
    filter.dispatchEvent(new Event('input'));
    expect(visibleEvents(element).length).toBeGreaterThan(lines.length);
  });

  it(`keeps the last ${KEEP_EVENTS} events`, async () => {
    ({ h, store } = await syncedHarness());
    const element = mount();
    while (all(element, '[part=event]').length < KEEP_EVENTS)
      await store.sync.now({ pull: 'none' });
    await store.sync.now({ pull: 'none' });
    expect(all(element, '[part=event]')).toHaveLength(KEEP_EVENTS);
  });

  it('renders ids and server messages as text, never as markup', async () => {
    const id = '<img src=x onerror="globalThis.hacked=1">';
    ({ h, store } = await syncedHarness([conversation({ id })]));
    const element = mount();
    h.server.faults.failNext(422, 1, {
      methods: ['PUT'],
      message: '<b onmouseover=alert(1)>x</b>',
    });
    await store.conversations.update(id, { is_muted: true });
    await eventually(() => expect(cells(element, '[part=outbox-entry]')[0]?.[0]).toBe(id));
    await store.sync.now({ pull: 'none' });
    await eventually(() => expect(all(element, '[part=rejection]')).toHaveLength(1));
    expect(cells(element, '[part=rejection]')[0]?.slice(0, 3)).toEqual([
      id,
      'update is_muted',
      '422 invalid_request: <b onmouseover=alert(1)>x</b>',
    ]);
    expect(all(element, 'img, b')).toEqual([]);
    expect((globalThis as { hacked?: number }).hacked).toBeUndefined();
  });

  it('unsubscribes everything when it leaves the page or gets another store, and subscribes again', async () => {
    ({ h, store } = await syncedHarness());
    const active = countSubscriptions(store);
    const element = mount();
    expect(active()).toBe(4);
    element.remove();
    expect(active()).toBe(0);
    document.body.append(element);
    expect(active()).toBe(4);

    const other = (await syncedHarness()).store;
    const otherActive = countSubscriptions(other);
    element.store = other;
    expect([active(), otherActive()]).toEqual([0, 4]);
    expect(field(element, 'state')).toBe('idle');
    element.store = null;
    expect(otherActive()).toBe(0);
    expect(text(element, '[part=summary]')).toBe('no store');
    await other.close();
  });

  it('shows nothing of a store after it let go: a late list read is dropped', async () => {
    ({ h, store } = await syncedHarness());
    const element = mount();
    await store.conversations.update(A.id, { is_muted: true });
    element.store = null; // while the outbox read for that write may still run
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(all(element, '[part=outbox-entry]')).toEqual([]);
    expect(all(element, 'dd')).toEqual([]);
  });
});

/** Wraps the sync streams of `target` to count their open subscriptions. */
function countSubscriptions(target: ConversationStore): () => number {
  let active = 0;
  const counted = <T>(source: Observable<T>) =>
    new Observable<T>((subscriber) => {
      active += 1;
      const subscription = source.subscribe(subscriber);
      return () => {
        active -= 1;
        subscription.unsubscribe();
      };
    });
  const { sync } = target;
  sync.status$ = counted(sync.status$);
  sync.pending$ = counted(sync.pending$);
  sync.conflicts$ = counted(sync.conflicts$);
  sync.events$ = counted(sync.events$);
  return () => active;
}
