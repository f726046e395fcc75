/**
 * The devtools element's shadow DOM: built once, then each section is redrawn from the
 * store's values. Every value goes in as a text node (`append` of a string, `textContent`),
 * never as markup: ids and error messages come from the server.
 */
import type { Conflict, OutboxItem, Rejection, SyncEvent, SyncStatus } from '../index.js';
import {
  clockTime,
  dateTime,
  errorText,
  eventText,
  fieldNames,
  statusRows,
  summaryText,
} from './format.js';
import { STYLE } from './style.js';

/** How many debug events the panel keeps, newest first. */
export const KEEP_EVENTS = 300;
/** How many conflicts the panel keeps, newest first. */
export const KEEP_CONFLICTS = 50;

/** What the buttons of a refused write do. */
export interface RejectionActions {
  retry(id: number): Promise<void>;
  discard(id: number): Promise<void>;
}

type Child = Node | string;

/** The panel's parts, and how to redraw each. */
export class DevtoolsView {
  readonly #doc: Document;
  readonly toggle: HTMLButtonElement;
  readonly #summary: HTMLSpanElement;
  readonly #body: HTMLDivElement;
  readonly #problem: HTMLParagraphElement;
  readonly #status: HTMLDListElement;
  readonly #outbox: HTMLTableSectionElement;
  readonly #outboxTable: HTMLTableElement;
  readonly #outboxEmpty: HTMLParagraphElement;
  readonly #rejections: HTMLUListElement;
  readonly #rejectionsEmpty: HTMLParagraphElement;
  readonly #conflicts: HTMLOListElement;
  readonly #conflictsEmpty: HTMLParagraphElement;
  readonly #filter: HTMLInputElement;
  readonly #events: HTMLOListElement;
  readonly #counts: Record<'outbox' | 'rejections' | 'conflicts' | 'events', HTMLSpanElement>;
  /** What each list shows now, to leave it alone when a re-read finds nothing new. */
  #shown = { outbox: '', rejections: '' };

  constructor(root: ShadowRoot) {
    this.#doc = root.ownerDocument;
    const style = this.#doc.createElement('style');
    style.textContent = STYLE;
    this.#summary = this.#el('span', 'summary', 'no store');
    this.toggle = this.#el('button', 'toggle', 'protocol-offline', this.#summary);
    this.toggle.type = 'button';
    this.toggle.setAttribute('aria-expanded', 'false');
    this.#problem = this.#el('p', 'problem');
    this.#problem.setAttribute('role', 'alert');
    this.#problem.hidden = true;
    this.#status = this.#el('dl', 'status');
    this.#counts = {
      outbox: this.#el('span', 'count outbox-count'),
      rejections: this.#el('span', 'count rejections-count'),
      conflicts: this.#el('span', 'count conflicts-count'),
      events: this.#el('span', 'count events-count'),
    };
    const head = this.#el('tr', null);
    for (const title of ['Record', 'Op', 'Fields', 'Attempts', 'Last error']) {
      head.append(this.#el('th', null, title));
    }
    this.#outbox = this.#el('tbody', null);
    this.#outboxTable = this.#el('table', 'outbox', this.#el('thead', null, head), this.#outbox);
    this.#outboxEmpty = this.#el('p', 'empty', 'Nothing waiting');
    this.#rejections = this.#el('ul', 'rejections');
    this.#rejectionsEmpty = this.#el('p', 'empty', 'None');
    this.#conflicts = this.#el('ol', 'conflicts');
    this.#conflictsEmpty = this.#el('p', 'empty', 'None yet');
    this.#filter = this.#el('input', 'filter');
    this.#filter.type = 'search';
    this.#filter.placeholder = 'Filter events';
    this.#filter.setAttribute('aria-label', 'Filter events');
    this.#filter.addEventListener('input', () => this.#applyFilter());
    const clear = this.#el('button', 'clear', 'Clear');
    clear.type = 'button';
    clear.addEventListener('click', () => {
      this.#events.replaceChildren();
      this.#countEvents();
    });
    this.#events = this.#el('ol', 'events');
    this.#body = this.#el(
      'div',
      'body',
      this.#problem,
      this.#section('Status', null, this.#status),
      this.#section('Outbox', this.#counts.outbox, this.#outboxTable, this.#outboxEmpty),
      this.#section(
        'Refused writes',
        this.#counts.rejections,
        this.#rejections,
        this.#rejectionsEmpty,
      ),
      this.#section('Conflicts', this.#counts.conflicts, this.#conflicts, this.#conflictsEmpty),
      this.#section('Events', this.#counts.events, this.#filter, clear, this.#events),
    );
    this.#body.hidden = true;
    root.append(style, this.toggle, this.#body);
    this.reset();
  }

  /** Shows or hides the body. */
  setOpen(open: boolean): void {
    this.#body.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
  }

  /** Empties every section: no store, or another one. */
  reset(): void {
    this.#summary.textContent = 'no store';
    delete this.#summary.dataset.state;
    this.#status.replaceChildren();
    this.#shown = { outbox: '', rejections: '' };
    this.renderOutbox([]);
    this.renderRejections([], { retry: async () => {}, discard: async () => {} });
    this.#conflicts.replaceChildren();
    this.#conflictsEmpty.hidden = false;
    this.#events.replaceChildren();
    this.#countEvents();
    this.#counts.conflicts.textContent = '';
    this.showProblem(null);
  }

  /** A stream that failed or a list that could not be read; null clears it. */
  showProblem(text: string | null): void {
    this.#problem.hidden = text === null;
    this.#problem.textContent = text ?? '';
  }

  renderStatus(status: SyncStatus): void {
    this.#summary.textContent = summaryText(status);
    this.#summary.dataset.state = status.state;
    this.#status.replaceChildren(
      ...statusRows(status).flatMap(([field, label, value]) => {
        const dd = this.#el('dd', null, value);
        dd.dataset.field = field;
        return [this.#el('dt', null, label), dd];
      }),
    );
  }

  renderOutbox(items: OutboxItem[]): void {
    const rows = items.map((item) => [
      item.recordId,
      item.op,
      fieldNames(item),
      String(item.attempts),
      item.lastError ?? '',
    ]);
    const shown = JSON.stringify(rows);
    if (shown === this.#shown.outbox) return;
    this.#shown.outbox = shown;
    this.#outbox.replaceChildren(
      ...rows.map((cells) =>
        this.#el('tr', 'outbox-entry', ...cells.map((cell) => this.#el('td', null, cell))),
      ),
    );
    this.#outboxTable.hidden = rows.length === 0;
    this.#outboxEmpty.hidden = rows.length > 0;
    this.#counts.outbox.textContent = String(rows.length);
  }

  renderRejections(rejections: Rejection[], actions: RejectionActions): void {
    const texts = rejections.map((rejection) => {
      const { status, type, message } = rejection.error;
      return {
        id: rejection.id,
        parts: [
          rejection.recordId,
          `${rejection.op} ${fieldNames(rejection)}`.trim(),
          `${status} ${type}: ${message}`,
          dateTime(rejection.rejectedAt),
        ],
      };
    });
    const shown = JSON.stringify(texts);
    if (shown === this.#shown.rejections) return;
    this.#shown.rejections = shown;
    this.#rejections.replaceChildren(
      ...texts.map(({ id, parts }) => {
        const retry = this.#el('button', 'retry', 'Retry');
        const discard = this.#el('button', 'discard', 'Discard');
        const item = this.#el(
          'li',
          'rejection',
          ...parts.map((part) => this.#el('span', null, part)),
        );
        item.append(retry, discard);
        for (const [button, run] of [
          [retry, actions.retry],
          [discard, actions.discard],
        ] as const) {
          button.type = 'button';
          button.addEventListener('click', () => {
            retry.disabled = true;
            discard.disabled = true;
            void run(id).finally(() => {
              retry.disabled = false;
              discard.disabled = false;
            });
          });
        }
        return item;
      }),
    );
    this.#rejectionsEmpty.hidden = texts.length > 0;
    this.#counts.rejections.textContent = String(texts.length);
  }

  addConflict(conflict: Conflict, receivedAt: number): void {
    const item = this.#el(
      'li',
      'conflict',
      this.#el('span', null, clockTime(receivedAt)),
      this.#el('span', null, conflict.id),
      this.#el('span', null, conflict.kind),
      this.#el('span', null, conflict.fields.join(', ')),
    );
    this.#conflicts.prepend(item);
    while (this.#conflicts.children.length > KEEP_CONFLICTS)
      this.#conflicts.lastElementChild?.remove();
    this.#conflictsEmpty.hidden = true;
    this.#counts.conflicts.textContent = String(this.#conflicts.children.length);
  }

  addEvent(event: SyncEvent, receivedAt: number): void {
    const item = this.#el('li', 'event', `${clockTime(receivedAt)} ${eventText(event)}`);
    item.dataset.type = event.type;
    item.hidden = !this.#matches(item);
    this.#events.prepend(item);
    while (this.#events.children.length > KEEP_EVENTS) this.#events.lastElementChild?.remove();
    this.#countEvents();
  }

  /** An error as one line, naming what failed. */
  static problemText(what: string, error: unknown): string {
    return `${what} failed: ${error instanceof Error ? errorText(error) : String(error)}`;
  }

  #matches(item: HTMLElement): boolean {
    const query = this.#filter.value.trim().toLowerCase();
    return query === '' || (item.textContent ?? '').toLowerCase().includes(query);
  }

  #applyFilter(): void {
    for (const item of this.#events.children) {
      (item as HTMLElement).hidden = !this.#matches(item as HTMLElement);
    }
    this.#countEvents();
  }

  #countEvents(): void {
    const all = this.#events.children.length;
    let shown = 0;
    for (const item of this.#events.children) if (!(item as HTMLElement).hidden) shown += 1;
    this.#counts.events.textContent = shown === all ? String(all) : `${shown} of ${all}`;
  }

  #section(title: string, count: HTMLElement | null, ...content: HTMLElement[]): HTMLElement {
    const heading = this.#el('h2', null, title);
    if (count !== null) heading.append(' ', count);
    return this.#el('section', null, heading, ...content);
  }

  /** An element with a `part` name and children; strings become text nodes, never markup. */
  #el<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    part: string | null,
    ...children: Child[]
  ): HTMLElementTagNameMap[K] {
    const element = this.#doc.createElement(tag);
    if (part !== null) element.setAttribute('part', part);
    element.append(...children);
    return element;
  }
}
