/**
 * The example's activity panel: the last events of `sync.events$` in words, newest first,
 * each with the name of the conversation it is about when this device still has it.
 */
import type { ConversationStore, SyncEvent } from 'protocol-offline';
import { activityText, conversationName } from './words.js';

/** How many lines the panel keeps. */
const KEEP = 20;

/** The record an event is about: its `recordId`, or the id in a request's path. */
function recordOf(event: SyncEvent): string | undefined {
  if ('recordId' in event) return event.recordId;
  if (event.type !== 'request') return undefined;
  const id = /^\/v1\/conversations\/([^/?]+)/.exec(event.path)?.[1];
  return id === undefined ? undefined : decodeURIComponent(id);
}

export function activityPanel(store: ConversationStore, panel: HTMLElement) {
  const lines: string[] = [];
  let pages = 0;
  // Events are shown in order, each after its name lookup.
  let queue = Promise.resolve();
  const add = async (event: SyncEvent) => {
    if (event.type === 'round-start') pages = 0;
    if (event.type === 'request' && recordOf(event) === undefined && event.method === 'GET') {
      pages += 1;
    }
    const id = recordOf(event);
    const row = id === undefined ? undefined : await store.conversations.retrieve(id);
    const text = activityText(event, { name: row && conversationName(row), pages });
    if (text === null) return;
    lines.unshift(text);
    lines.splice(KEEP);
    panel.hidden = false;
    panel.querySelector('ol')?.replaceChildren(
      ...lines.map((line) => {
        const item = document.createElement('li');
        item.dataset.testid = 'activity-line';
        item.textContent = line;
        return item;
      }),
    );
  };
  return store.sync.events$.subscribe((event) => {
    queue = queue.then(() => add(event)).catch(() => {});
  });
}
