/**
 * Samples everyone's microphone level while the element is in a call and reports the active
 * speaker to the store when it changes (debounced by the detector, so it does not flap). It
 * starts when the store says the call is joined and stops when it ends.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { SpeakerDetector } from '../../media/active-speaker.js';
import type { CallStore } from '../../store/call-store.js';

// Four times a second is enough for a highlight the detector holds for a second; each sample of
// ours that changed goes to every peer (see SharedLevels), so more would only be more messages.
const SAMPLE_MS = 250;

export class SpeakerController implements ReactiveController {
  #detector = new SpeakerDetector();
  #timer: ReturnType<typeof setInterval> | null = null;
  #unsubscribe = () => {};

  readonly #store: CallStore;
  /** Current levels (id → 0..1), this participant included. */
  readonly #sample: () => Map<string, number>;

  constructor(
    host: ReactiveControllerHost,
    store: CallStore,
    sample: () => Map<string, number>,
  ) {
    this.#store = store;
    this.#sample = sample;
    host.addController(this);
  }

  hostConnected(): void {
    this.#unsubscribe = this.#store.onState((state) => {
      if (state === 'joined') this.#start();
      if (state === 'left' || state === 'error') this.#stop();
    });
  }

  hostDisconnected(): void {
    this.#unsubscribe();
    this.#stop();
  }

  #start(): void {
    if (this.#timer) return;
    this.#detector = new SpeakerDetector();
    this.#timer = setInterval(() => {
      const change = this.#detector.update(this.#sample(), performance.now());
      if (change !== undefined) this.#store.dispatch('speaker', { id: change });
    }, SAMPLE_MS);
  }

  #stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
