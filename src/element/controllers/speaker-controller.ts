/**
 * Samples everyone's microphone level while the element is in a call and reports the active
 * speaker to the store when it changes (debounced by the detector, so it does not flap). It
 * starts when the store says the call is joined and stops when it ends.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { SpeakerDetector } from '../../media/active-speaker.js';
import type { CallStore } from '../../store/call-store.js';

// RTP audio levels describe the last packet only: sampling often catches short syllables. Each
// sample asks every link's receiver for its stats (see LinkMedia.audioLevel): work on the
// browser's WebRTC thread, so four times a second, enough for a highlight the detector holds
// for a second.
const SAMPLE_MS = 250;

export class SpeakerController implements ReactiveController {
  #detector = new SpeakerDetector();
  #timer: ReturnType<typeof setInterval> | null = null;
  #unsubscribe = () => {};

  readonly #store: CallStore;
  /** Current levels (id → 0..1), this participant included. */
  readonly #sample: () => Promise<Map<string, number>>;
  /** Whether a sample is being read (the next tick waits for it rather than pile up). */
  #sampling = false;

  constructor(
    host: ReactiveControllerHost,
    store: CallStore,
    sample: () => Promise<Map<string, number>>,
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
    const detector = this.#detector;
    this.#timer = setInterval(() => {
      if (this.#sampling) return;
      this.#sampling = true;
      void this.#sample()
        .then((levels) => {
          // A sample that comes back after the call ended (or a new one began) is dropped.
          if (detector !== this.#detector || !this.#timer) return;
          const change = detector.update(levels, performance.now());
          if (change !== undefined) this.#store.dispatch('speaker', { id: change });
        })
        .catch(() => undefined)
        .finally(() => (this.#sampling = false));
    }, SAMPLE_MS);
  }

  #stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
