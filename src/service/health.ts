import type { KeeperMetrics } from "./metrics";

export interface HealthReport {
  ok: boolean;
  /** Why not, one line each (empty when healthy). */
  reasons: string[];
}

/**
 * Where the processes of one keeper share when each protocol was last observed: any process may run
 * a protocol's observation, so one process's own count would call it stale while the others observe.
 */
export interface ObservationClock {
  record(protocol: string, at: number): Promise<void>;
  read(protocol: string): Promise<number | undefined>;
}

export interface HealthProbes {
  /** Throws when Redis does not answer. */
  redis: () => Promise<void>;
  /** Why the act queue has no executor, or undefined when it has one. */
  executor: () => Promise<string | undefined>;
}

/**
 * What /healthz answers: unhealthy when a protocol's last completed observation is older than
 * `staleAfterIntervals` of its interval, when Redis does not answer, or when the act queue has lost
 * its executor. Also keeps the gauges of the last observation's age and the last action's block.
 */
export class KeeperHealth {
  private readonly lastObserved = new Map<string, number>();

  constructor(
    private readonly protocols: { id: string; intervalMs: number }[],
    private readonly staleAfterIntervals: number,
    private readonly metrics: KeeperMetrics,
    private readonly probes: HealthProbes,
    private readonly now: () => number = Date.now,
    private readonly shared?: ObservationClock,
  ) {
    // Until a first observation completes, the clock runs from the start.
    const start = now();
    for (const p of protocols) this.lastObserved.set(p.id, start);
  }

  /** A completed observation of `protocol` by this process (shared with the others when a clock is given). */
  async observed(protocol: string): Promise<void> {
    const at = this.now();
    this.lastObserved.set(protocol, at);
    await this.shared?.record(protocol, at);
  }

  actionLanded(protocol: string, block: number): void {
    this.metrics.lastActionBlock.set({ protocol }, block);
  }

  /** Refreshes the age gauges; called before every scrape and every health check. */
  refreshGauges(): void {
    for (const p of this.protocols) this.metrics.lastObservationAge.set({ protocol: p.id }, (this.now() - this.lastObserved.get(p.id)!) / 1000);
  }

  async report(): Promise<HealthReport> {
    if (this.shared) {
      for (const p of this.protocols) {
        const other = await withTimeout(this.shared.read(p.id), 2000).catch(() => undefined);
        if (other !== undefined && other > this.lastObserved.get(p.id)!) this.lastObserved.set(p.id, other);
      }
    }
    this.refreshGauges();
    const reasons: string[] = [];
    for (const p of this.protocols) {
      const age = this.now() - this.lastObserved.get(p.id)!;
      const limit = p.intervalMs * this.staleAfterIntervals;
      if (age > limit) reasons.push(`observation of ${p.id} is stale: last completed ${(age / 1000).toFixed(1)}s ago (limit ${(limit / 1000).toFixed(1)}s, ${this.staleAfterIntervals} intervals)`);
    }
    let redisUp = true;
    try {
      await withTimeout(this.probes.redis(), 2000);
    } catch (e) {
      redisUp = false;
      reasons.push(`redis unreachable: ${(e as Error).message}`);
    }
    if (redisUp) {
      const lost = await withTimeout(this.probes.executor(), 2000).catch((e: Error) => `cannot ask Redis for the act queue's workers: ${e.message}`);
      if (lost) reasons.push(`act queue has lost its executor: ${lost}`);
    }
    return { ok: reasons.length === 0, reasons };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}
