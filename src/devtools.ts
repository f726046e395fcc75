/**
 * protocol-offline/devtools: `<protocol-offline-devtools>`, a framework-free custom element
 * that shows what a store's sync is doing: the status, the outbox, the refused writes (with
 * Retry and Discard), recent conflicts and the debug stream, with a text filter.
 *
 * ```ts
 * import { defineDevtools } from 'protocol-offline/devtools';
 *
 * defineDevtools(); // registers the element once; later calls return the same class
 * const devtools = document.createElement('protocol-offline-devtools');
 * devtools.store = store;
 * document.body.append(devtools);
 * ```
 *
 * It renders in a shadow root with its own stylesheet (restyle it through its `part`
 * names), every value as text. It shows record ids, operations, the names of the fields a
 * write sets (never their values), statuses and error messages: never a token or a body.
 * It subscribes to the store's streams while it is in the document, and unsubscribes when
 * it leaves it or when `store` changes. It imports nothing at run time (not even rxjs).
 *
 * @packageDocumentation
 */
import {
  createDevtoolsClass,
  type ProtocolOfflineDevtools,
  type ProtocolOfflineDevtoolsConstructor,
} from './devtools/element.js';

export { KEEP_CONFLICTS, KEEP_EVENTS } from './devtools/view.js';
export type { ProtocolOfflineDevtools, ProtocolOfflineDevtoolsConstructor };

/** The element's tag name. */
export const DEVTOOLS_TAG = 'protocol-offline-devtools';

declare global {
  interface HTMLElementTagNameMap {
    'protocol-offline-devtools': ProtocolOfflineDevtools;
  }
}

/**
 * Registers `<protocol-offline-devtools>` in `customElements` unless it is already there,
 * and returns the registered class. Call it in the browser (it throws where there is no
 * `customElements`, as in a server render); calling it again is harmless.
 */
export function defineDevtools(): ProtocolOfflineDevtoolsConstructor {
  if (typeof customElements === 'undefined') {
    throw new Error('defineDevtools() needs a browser: there is no customElements registry');
  }
  const defined = customElements.get(DEVTOOLS_TAG);
  if (defined !== undefined) return defined as ProtocolOfflineDevtoolsConstructor;
  const element = createDevtoolsClass();
  customElements.define(DEVTOOLS_TAG, element);
  return element;
}
