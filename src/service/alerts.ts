import type { Alert } from "../keeper/ports";
import type { Logger } from "../log/logger";

/**
 * Webhook alerts: JSON POSTs sent in the background with retries and backoff. `notify` never
 * waits and never throws — a slow or dead webhook must not slow the keeper. The queue is bounded;
 * what does not fit is counted as dropped.
 */
export class WebhookAlerter {
  private readonly queue: Alert[] = [];
  private running = false;
  dropped = 0;
  delivered = 0;

  constructor(
    private readonly url: string | undefined,
    private readonly logger: Logger,
    private readonly opts: { retries: number; timeoutMs: number; maxQueued?: number; backoffMs?: number } = { retries: 3, timeoutMs: 3000 },
  ) {}

  notify(alert: Alert): void {
    this.logger.warn(alert.message, { alert: alert.kind, protocol: alert.protocol, market: alert.market });
    if (!this.url) return;
    if (this.queue.length >= (this.opts.maxQueued ?? 1000)) {
      this.dropped++;
      return;
    }
    this.queue.push({ ...alert, at: new Date().toISOString() });
    if (!this.running) void this.drain();
  }

  /** Resolves when everything queued has been delivered or given up on (for shutdown and tests). */
  async flush(timeoutMs = 10_000): Promise<void> {
    const start = Date.now();
    while ((this.running || this.queue.length) && Date.now() - start < timeoutMs) await new Promise((r) => setTimeout(r, 20));
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length) {
      const alert = this.queue.shift()!;
      let ok = false;
      for (let attempt = 0; attempt <= this.opts.retries && !ok; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, (this.opts.backoffMs ?? 500) * 2 ** (attempt - 1)));
        try {
          const res = await fetch(this.url!, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(alert), signal: AbortSignal.timeout(this.opts.timeoutMs) });
          ok = res.ok;
        } catch {
          ok = false;
        }
      }
      if (ok) this.delivered++;
      else {
        this.dropped++;
        this.logger.error("alert webhook failed after retries", { alert: alert.kind, protocol: alert.protocol });
      }
    }
    this.running = false;
  }
}
