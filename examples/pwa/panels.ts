/**
 * The example's two sync panels: writes the server refused (kept by the store until the
 * user retries or discards them) and conflicts settled during sync (shown until dismissed).
 */
import type { Conflict, ConversationStore } from 'protocol-offline';
import { conflictText, conversationName, rejectionText } from './words.js';

function button(label: string, testid: string, onClick: () => void) {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = label;
  element.dataset.testid = testid;
  element.addEventListener('click', onClick);
  return element;
}

function show(panel: HTMLElement, items: HTMLElement[]) {
  panel.hidden = items.length === 0;
  panel.querySelector('ul')?.replaceChildren(...items);
}

/**
 * Lists the refused writes, with "Try again" and "Discard". Re-reads them whenever the
 * count changes: in this tab or another, and after a reload.
 */
export function rejectionsPanel(
  store: ConversationStore,
  panel: HTMLElement,
  report: (e: unknown) => void,
) {
  let count = -1;
  const refresh = async () => {
    const rejections = await store.sync.listRejections();
    const rows = await Promise.all(rejections.map((r) => store.conversations.retrieve(r.recordId)));
    show(
      panel,
      rejections.map((rejection, index) => {
        const item = document.createElement('li');
        item.dataset.testid = 'rejection';
        const text = document.createElement('span');
        const row = rows[index];
        text.textContent = rejectionText(rejection, row && conversationName(row));
        item.append(
          text,
          button('Try again', 'retry', () => void store.sync.retry(rejection.id).catch(report)),
          button('Discard', 'discard', () => void store.sync.discard(rejection.id).catch(report)),
        );
        return item;
      }),
    );
  };
  return store.sync.status$.subscribe(({ rejected }) => {
    if (rejected === count) return;
    count = rejected;
    refresh().catch(report);
  });
}

/** Shows each conflict of `conflicts$` (from whichever tab synced) until it is dismissed. */
export function conflictsPanel(store: ConversationStore, panel: HTMLElement) {
  const shown: Conflict[] = [];
  const render = () =>
    show(
      panel,
      shown.map((conflict) => {
        const item = document.createElement('li');
        item.dataset.testid = 'conflict';
        const text = document.createElement('span');
        text.textContent = conflictText(conflict);
        item.append(
          text,
          button('Dismiss', 'dismiss', () => {
            shown.splice(shown.indexOf(conflict), 1);
            render();
          }),
        );
        return item;
      }),
    );
  return store.sync.conflicts$.subscribe((conflict) => {
    shown.unshift(conflict);
    shown.splice(5); // The latest few are enough.
    render();
  });
}
