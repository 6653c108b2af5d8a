/**
 * Samples everyone's microphone level while the element is in a call and reports the active
 * speaker when it changes (debounced by the detector, so it does not flap).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { SpeakerDetector } from '../../media/active-speaker.js';

// RTP audio levels describe the last packet only: sampling often catches short syllables.
const SAMPLE_MS = 100;

export class SpeakerController implements ReactiveController {
  /** The id of the active speaker, or null. */
  speaker: string | null = null;
  private detector = new SpeakerDetector();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    /** Current levels (id → 0..1), this participant included. */
    private readonly sample: () => Map<string, number>,
    private readonly onChange: (id: string | null) => void,
  ) {
    host.addController(this);
  }

  /** Starts sampling (a call began). */
  start(): void {
    if (this.timer) return;
    this.detector = new SpeakerDetector();
    this.timer = setInterval(() => {
      const change = this.detector.update(this.sample(), performance.now());
      if (change === undefined) return;
      this.speaker = change;
      this.onChange(change);
      this.host.requestUpdate();
    }, SAMPLE_MS);
  }

  /** Stops sampling (the call ended). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.speaker = null;
  }

  hostDisconnected(): void {
    this.stop();
  }
}
