/**
 * Trigger sounds and background notifications, rate-limited so a chatty host cannot turn
 * them into noise: one beep a second, one notification every five seconds, and
 * notifications only while the tab is hidden.
 */
const BEEP_EVERY_MS = 1000;
const NOTIFY_EVERY_MS = 5000;

export class Alerts {
  #audio: AudioContext | undefined;
  #lastBeep = 0;
  #lastNotify = 0;

  /** A short tone made with Web Audio: no sound file to fetch. */
  beep(): void {
    const now = Date.now();
    if (now - this.#lastBeep < BEEP_EVERY_MS) return;
    this.#lastBeep = now;
    try {
      this.#audio ??= new AudioContext();
      const ctx = this.#audio;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.25);
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.25);
    } catch {
      // No audio device or autoplay refused until the user interacts: stay quiet.
    }
  }

  notify(hostName: string, text: string): void {
    const now = Date.now();
    if (!document.hidden || now - this.#lastNotify < NOTIFY_EVERY_MS) return;
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    this.#lastNotify = now;
    try {
      // Notification bodies are plain text: nothing here is parsed as markup.
      new Notification(hostName, { body: text, tag: `porthole-${hostName}` });
    } catch {
      // Some browsers allow notifications only from a service worker.
    }
  }

  /** Asks once, from a click in the Scripts dialog (browsers require a user gesture). */
  static async requestPermission(): Promise<void> {
    if (typeof Notification === 'undefined' || Notification.permission !== 'default') return;
    try {
      await Notification.requestPermission();
    } catch {
      // Denied or unsupported: triggers just do not notify.
    }
  }
}
