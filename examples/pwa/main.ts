/**
 * The PWA example: a live conversation list over the store, with the API's filters,
 * toggles, create and delete, a badge on unsynced records, a sync status in words,
 * panels for refused writes and conflicts, and the devtools element for developers.
 */
import { type Conversation, createConversationStore, type ListParams } from 'protocol-offline';
import { defineDevtools, type ProtocolOfflineDevtools } from 'protocol-offline/devtools';
import { requestBackgroundSync } from 'protocol-offline/sw';
import { recordDatabase, TOKEN } from './config.js';
import { pageSwitch, platformWithSwitch, switchedFetch } from './network.js';
import { conflictsPanel, rejectionsPanel } from './panels.js';
import { lastSyncedText, statusText } from './words.js';

const $ = <T extends Element>(selector: string) => document.querySelector(selector) as T;

// The "offline" switch plays the network going away, for every tab and the service worker.
const network = pageSwitch();
// The signed-in user (the example has one); each user gets a database of their own.
const databaseName = `protocol-offline:${localStorage.getItem('example-user') ?? 'example'}`;
const store = createConversationStore({
  baseUrl: location.origin,
  getToken: () => TOKEN,
  databaseName,
  fetch: switchedFetch,
  platform: platformWithSwitch(network),
  sync: { debounceMs: 200, intervalMs: 30_000 },
});
void recordDatabase(databaseName); // The service worker syncs this user's database.
/** Sign-out: deletes this user's local data; no tab or worker recreates it. */
async function signOut() {
  await recordDatabase(null);
  await store.destroy();
}
Object.assign(globalThis, { store, signOut }); // For the browser tests and the curious.

if ('serviceWorker' in navigator) {
  void navigator.serviceWorker.register('/sw.js', { type: 'module' });
}

let pending: ReadonlySet<string> = new Set();
let rows: Conversation[] = [];

function render() {
  const list = $<HTMLUListElement>('#list');
  const empty = $<HTMLElement>('#empty');
  empty.hidden = rows.length > 0;
  empty.textContent =
    Object.keys(filters()).length === 0
      ? 'No conversations yet'
      : 'No conversations match these filters';
  list.replaceChildren(
    ...rows.map((row) => {
      const item = document.createElement('li');
      item.dataset.id = row.id;
      item.dataset.testid = 'row';
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = row.contact_id ?? `group ${row.group_id}`;
      const flags = document.createElement('span');
      flags.className = 'flags';
      flags.textContent = [
        row.is_pinned && 'pinned',
        row.is_muted && 'muted',
        row.archived_at !== null && 'archived',
      ]
        .filter(Boolean)
        .join(' · ');
      item.append(who, flags);
      if (pending.has(row.id)) {
        const badge = document.createElement('span');
        badge.className = 'badge';
        badge.dataset.testid = 'pending';
        badge.textContent = 'unsynced';
        item.append(badge);
      }
      const action = (label: string, testid: string, run: () => Promise<unknown>) => {
        const button = document.createElement('button');
        button.textContent = label;
        button.dataset.testid = testid;
        button.addEventListener('click', () => void run().then(afterWrite, report));
        return button;
      };
      item.append(
        action(row.is_muted ? 'Unmute' : 'Mute', 'mute', () =>
          store.conversations.update(row.id, { is_muted: !row.is_muted }),
        ),
        action(row.is_pinned ? 'Unpin' : 'Pin', 'pin', () =>
          store.conversations.update(row.id, { is_pinned: !row.is_pinned }),
        ),
        action(row.archived_at === null ? 'Archive' : 'Unarchive', 'archive', () =>
          store.conversations.update(row.id, {
            archived_at: row.archived_at === null ? Math.floor(Date.now() / 1000) : null,
          }),
        ),
        action('Delete', 'delete', () => store.conversations.delete(row.id)),
      );
      return item;
    }),
  );
}

// What the last Background Sync request came to: some browsers lack it or disable it.
const backgroundSync: { last: 'registered' | 'unsupported' | `failed: ${string}` | null } = {
  last: null,
};
Object.assign(globalThis, { backgroundSync }); // The browser tests tell the delivery paths apart.

function afterWrite() {
  // Offline? Let the service worker flush it when the network is back, even if this tab closes.
  if (!navigator.onLine || network.off) {
    requestBackgroundSync().then(
      (registered) => {
        backgroundSync.last = registered ? 'registered' : 'unsupported';
      },
      (error: unknown) => {
        backgroundSync.last = `failed: ${(error as Error).message}`;
      },
    );
  }
}

function report(error: unknown) {
  $('#problem').textContent = `Something went wrong: ${(error as Error).message}`;
}

let listSubscription = store.conversations.list$({ limit: 50 }).subscribe();
function watch(params: ListParams) {
  listSubscription.unsubscribe();
  listSubscription = store.conversations.list$({ limit: 50, ...params }).subscribe((page) => {
    rows = page.data;
    render();
  });
}

function filters(): ListParams {
  const form = new FormData($<HTMLFormElement>('#filters'));
  const params: ListParams = {};
  for (const flag of ['muted', 'archived', 'pinned'] as const) {
    const value = form.get(flag);
    if (value === 'true' || value === 'false') params[flag] = value === 'true';
  }
  const group = String(form.get('group_id') ?? '').trim();
  if (group !== '') params.group_id = group;
  return params;
}

$('#filters').addEventListener('input', () => watch(filters()));
watch({});

store.sync.pending$.subscribe((ids) => {
  pending = ids;
  render();
});
store.sync.status$.subscribe((status) => {
  const bar = $<HTMLElement>('#status');
  bar.dataset.state = status.state;
  bar.textContent = statusText(status);
  $('#synced-at').textContent = lastSyncedText(status.lastSyncedAt);
});
rejectionsPanel(store, $('#rejections'), report);
conflictsPanel(store, $('#conflicts'));
defineDevtools();
$<ProtocolOfflineDevtools>('protocol-offline-devtools').store = store;

$<HTMLFormElement>('#create').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('[name=contact_id]');
  void store.conversations.create({ contact_id: input.value.trim() }).then(() => {
    input.value = '';
    afterWrite();
  }, report);
});
$('#sync').addEventListener('click', () => void store.sync.now());
const offlineSwitch = $<HTMLInputElement>('#offline');
offlineSwitch.addEventListener('change', () => void network.set(offlineSwitch.checked));
network.listen((off) => {
  offlineSwitch.checked = off;
});
