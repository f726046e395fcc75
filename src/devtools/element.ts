/**
 * The `<protocol-offline-devtools>` element's behaviour: a store in, subscriptions to its
 * sync streams while connected, out again when the store changes or the element leaves the
 * page. The class is made on demand (`createDevtoolsClass`), so that importing the entry
 * where there is no DOM (a server render, Node) does not touch `HTMLElement`.
 */
import type { Conflict, ConversationStore, SyncEvent, SyncStatus } from '../index.js';
import { DevtoolsView } from './view.js';

/** The `<protocol-offline-devtools>` element (see `defineDevtools`). */
export interface ProtocolOfflineDevtools extends HTMLElement {
  /**
   * The store to show, or null. Setting it (to another store or null) unsubscribes from the
   * previous one and empties the panel; the element subscribes while it is in the document.
   */
  store: ConversationStore | null;
  /** Whether the body is shown (reflects the `open` attribute); the header toggles it. */
  open: boolean;
}

/** The constructor `defineDevtools` registers. */
export type ProtocolOfflineDevtoolsConstructor = new () => ProtocolOfflineDevtools;

interface Unsubscribable {
  unsubscribe(): void;
}

/** What the element needs of an RxJS observable; typed here so that rxjs is not imported. */
interface Source<T> {
  subscribe(observer: { next(value: T): void; error(error: unknown): void }): Unsubscribable;
}

/** One store shown while connected: its subscriptions and the state of its list reads. */
interface Session {
  store: ConversationStore;
  subscriptions: Unsubscribable[];
  active: boolean;
  /** A read of the outbox and the rejections is running; `again`: one more after it. */
  reading: boolean;
  again: boolean;
}

/** Makes the element's class (call once per registry; `defineDevtools` does). */
export function createDevtoolsClass(): ProtocolOfflineDevtoolsConstructor {
  return class extends HTMLElement implements ProtocolOfflineDevtools {
    static observedAttributes = ['open'];
    readonly #view: DevtoolsView;
    #store: ConversationStore | null = null;
    #session: Session | null = null;

    constructor() {
      super();
      this.#view = new DevtoolsView(this.attachShadow({ mode: 'open' }));
      this.#view.toggle.addEventListener('click', () => {
        this.open = !this.open;
      });
      // Set on the element before `defineDevtools()` upgraded it: an own property that
      // would hide the accessor. Take its value and let the accessor hold it.
      if (Object.hasOwn(this, 'store')) {
        const { store } = this as { store: ConversationStore | null };
        delete (this as { store?: unknown }).store;
        this.store = store;
      }
    }

    get store(): ConversationStore | null {
      return this.#store;
    }

    set store(store: ConversationStore | null) {
      if (store === this.#store) return;
      this.#stop();
      this.#store = store;
      this.#view.reset();
      if (this.isConnected) this.#start();
    }

    get open(): boolean {
      return this.hasAttribute('open');
    }

    set open(open: boolean) {
      this.toggleAttribute('open', open);
    }

    connectedCallback(): void {
      this.#view.setOpen(this.open); // Also where an upgrade did not report the attribute.
      this.#start();
    }

    disconnectedCallback(): void {
      this.#stop();
    }

    attributeChangedCallback(): void {
      this.#view.setOpen(this.open);
    }

    #start(): void {
      const store = this.#store;
      if (store === null || this.#session !== null) return;
      const session: Session = {
        store,
        subscriptions: [],
        active: true,
        reading: false,
        again: false,
      };
      this.#session = session;
      const view = this.#view;
      const watch = <T>(name: string, source: Source<T>, next: (value: T) => void) => {
        const subscription = source.subscribe({
          next: (value) => {
            if (session.active) next(value);
          },
          error: (error) => {
            if (session.active) view.showProblem(DevtoolsView.problemText(name, error));
          },
        });
        session.subscriptions.push(subscription);
      };
      watch<SyncStatus>('status$', store.sync.status$, (status) => {
        view.renderStatus(status);
        void this.#readLists(session);
      });
      watch<ReadonlySet<string>>(
        'pending$',
        store.sync.pending$,
        () => void this.#readLists(session),
      );
      watch<Conflict>('conflicts$', store.sync.conflicts$, (conflict) =>
        view.addConflict(conflict, Date.now()),
      );
      watch<SyncEvent>('events$', store.sync.events$, (event) => view.addEvent(event, Date.now()));
    }

    #stop(): void {
      const session = this.#session;
      if (session === null) return;
      this.#session = null;
      session.active = false;
      for (const subscription of session.subscriptions) subscription.unsubscribe();
    }

    /** Re-reads the outbox and the rejections; calls during a read make one more after it. */
    async #readLists(session: Session): Promise<void> {
      if (session.reading) {
        session.again = true;
        return;
      }
      session.reading = true;
      const { sync } = session.store;
      const view = this.#view;
      const actions = {
        retry: (id: number) => this.#act(session, 'retry', () => sync.retry(id)),
        discard: (id: number) => this.#act(session, 'discard', () => sync.discard(id)),
      };
      try {
        do {
          session.again = false;
          const [outbox, rejections] = await Promise.allSettled([
            sync.listOutbox(),
            sync.listRejections(),
          ]);
          if (!session.active) return;
          if (outbox.status === 'fulfilled') view.renderOutbox(outbox.value);
          if (rejections.status === 'fulfilled') view.renderRejections(rejections.value, actions);
          const failed = outbox.status === 'rejected' ? outbox : rejections;
          if (failed.status === 'rejected') {
            const what = failed === outbox ? 'listOutbox()' : 'listRejections()';
            view.showProblem(DevtoolsView.problemText(what, failed.reason));
          }
        } while (session.again && session.active);
      } finally {
        session.reading = false;
      }
    }

    /** A button's action: its failure shows in the panel; the lists are read again either way. */
    async #act(session: Session, name: string, run: () => Promise<void>): Promise<void> {
      try {
        await run();
        if (session.active) this.#view.showProblem(null);
      } catch (error) {
        if (session.active) this.#view.showProblem(DevtoolsView.problemText(`${name}()`, error));
      }
      if (session.active) await this.#readLists(session);
    }
  };
}
