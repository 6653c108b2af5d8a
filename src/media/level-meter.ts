/**
 * The local microphone level, for the meter in the device panels and for picking the active
 * speaker; the others hear of it over the data channels (shared-levels.ts). Web Audio, as no
 * sender statistic carries it in every browser.
 */
export class AudioLevelMeter {
  #context: AudioContext | null = null;
  #source: MediaStreamAudioSourceNode | null = null;
  #analyser: AnalyserNode | null = null;
  #buffer: Float32Array<ArrayBuffer> | null = null;
  #track: MediaStreamTrack | null = null;

  /** Measures this track from now on (null: nothing). */
  setTrack(track: MediaStreamTrack | null): void {
    if (track === this.#track) return;
    this.#source?.disconnect();
    this.#source = null;
    this.#track = track;
    if (!track || typeof AudioContext === 'undefined') return;
    try {
      this.#context ??= new AudioContext();
      this.#analyser ??= Object.assign(this.#context.createAnalyser(), { fftSize: 512 });
      this.#buffer ??= new Float32Array(this.#analyser.fftSize);
      this.#source = this.#context.createMediaStreamSource(new MediaStream([track]));
      this.#source.connect(this.#analyser);
    } catch {
      // No audio processing here: the meter stays at zero.
    }
  }

  /** The RMS level of the last few milliseconds, 0..1 (0 while muted or suspended). */
  get level(): number {
    if (!this.#source || !this.#analyser || !this.#buffer || !this.#track?.enabled) return 0;
    if (this.#context?.state === 'suspended') void this.#context.resume().catch(() => undefined);
    this.#analyser.getFloatTimeDomainData(this.#buffer);
    let sum = 0;
    for (const sample of this.#buffer) sum += sample * sample;
    return Math.min(1, Math.sqrt(sum / this.#buffer.length));
  }

  /** Releases the audio graph. */
  close(): void {
    this.#source?.disconnect();
    this.#source = null;
    this.#track = null;
    void this.#context?.close().catch(() => undefined);
    this.#context = null;
    this.#analyser = null;
    this.#buffer = null;
  }
}
