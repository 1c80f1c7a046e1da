// Autosave of a task's working copy: a change is saved once the worker pauses typing; a failed save
// is retried with a growing delay; the state ("Saving…", "Saved", "Not saved") is shown on the page.
export type SaveState =
  | { kind: 'saved'; at: number | null }
  | { kind: 'unsaved' }
  | { kind: 'saving' }
  | { kind: 'failed'; message: string; retryInSeconds: number | null };

export interface SaveOutcome {
  ok: boolean;
  message?: string;
  /** The failure may pass (network, database unavailable): try again later. */
  transient?: boolean;
}

export class Autosave {
  state = $state<SaveState>({ kind: 'saved', at: null });
  private saved: string;
  private latest: string;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private inFlight: Promise<void> | null = null;

  constructor(
    initial: string,
    private readonly save: (json: string) => Promise<SaveOutcome>,
    private readonly delayMs = 1500,
  ) {
    this.saved = initial;
    this.latest = initial;
  }

  /** The data the server now holds (after a load): nothing to save. */
  reset(json: string): void {
    clearTimeout(this.timer);
    this.saved = json;
    this.latest = json;
    this.failures = 0;
    this.state = { kind: 'saved', at: null };
  }

  get dirty(): boolean {
    return this.state.kind === 'unsaved' || this.state.kind === 'failed' || this.state.kind === 'saving';
  }

  /** The working copy changed: save it after a pause. */
  changed(json: string): void {
    this.latest = json;
    if (json === this.saved) {
      if (this.state.kind === 'unsaved') this.state = { kind: 'saved', at: null };
      return;
    }
    if (this.state.kind !== 'saving') this.state = { kind: 'unsaved' };
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(json), this.delayMs);
  }

  /** Saves now (before submitting or leaving). */
  async flush(json: string): Promise<void> {
    clearTimeout(this.timer);
    if (this.inFlight) await this.inFlight;
    if (json === this.saved) return;
    this.state = { kind: 'saving' };
    this.inFlight = this.save(json).then((outcome) => {
      this.inFlight = null;
      if (outcome.ok) {
        this.saved = json;
        this.failures = 0;
        // Typing went on while this was saving: the newer copy is saved by its own timer.
        this.state = this.latest === json ? { kind: 'saved', at: Date.now() } : { kind: 'unsaved' };
        return;
      }
      if (outcome.transient) {
        const seconds = Math.min(60, 2 ** ++this.failures);
        this.state = { kind: 'failed', message: outcome.message ?? 'Not saved.', retryInSeconds: seconds };
        this.timer = setTimeout(() => void this.flush(json), seconds * 1000);
      } else {
        this.state = { kind: 'failed', message: outcome.message ?? 'Not saved.', retryInSeconds: null };
      }
    });
    await this.inFlight;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
