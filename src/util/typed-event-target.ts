/**
 * An EventTarget whose event names and detail types are checked by the compiler.
 * The core modules extend it so that the element (and tests) subscribe with full typing.
 */
export class TypedEventTarget<M extends object> extends EventTarget {
  /** Dispatches `type` with `detail`. */
  protected emit<K extends keyof M & string>(type: K, detail: M[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Subscribes to `type`; returns the function that unsubscribes. */
  on<K extends keyof M & string>(type: K, listener: (detail: M[K]) => void): () => void {
    const wrapped = (event: Event) => listener((event as CustomEvent<M[K]>).detail);
    this.addEventListener(type, wrapped);
    return () => this.removeEventListener(type, wrapped);
  }
}
