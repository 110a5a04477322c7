import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { MarketGauges, ObserverMetrics, SkipReason } from "../keeper/ports";

/** The keeper's Prometheus series, on a registry of its own (no global state). */
export class KeeperMetrics implements ObserverMetrics {
  readonly registry = new Registry();
  readonly svr = new Gauge({ name: "svr_keeper_svr", help: "Security-to-Value Ratio (collateral ÷ notional open interest)", labelNames: ["protocol", "market"], registers: [this.registry] });
  readonly buffer = new Gauge({ name: "svr_keeper_systemic_buffer_usd", help: "Equity minus maintenance requirement, USD", labelNames: ["protocol", "market"], registers: [this.registry] });
  readonly breakingShock = new Gauge({
    name: "svr_keeper_breaking_shock",
    help: "Smallest price move leaving bad debt (fraction); absent when none",
    labelNames: ["protocol", "market", "direction"],
    registers: [this.registry],
  });
  readonly level = new Gauge({ name: "svr_keeper_level", help: "Policy level: 0 ok, 1 warn, 2 act, 3 critical", labelNames: ["protocol", "market"], registers: [this.registry] });
  readonly actions = new Counter({ name: "svr_keeper_actions_total", help: "Actions by outcome", labelNames: ["protocol", "kind", "outcome"], registers: [this.registry] });
  readonly inclusionBlocks = new Histogram({
    name: "svr_keeper_inclusion_latency_blocks",
    help: "Blocks from observation to inclusion",
    labelNames: ["route"],
    buckets: [1, 2, 3, 5, 8, 13],
    registers: [this.registry],
  });
  readonly rpcErrors = new Counter({ name: "svr_keeper_rpc_errors_total", help: "RPC faults by kind", labelNames: ["kind"], registers: [this.registry] });
  readonly skipped = new Counter({ name: "svr_keeper_observations_skipped_total", help: "Observations not acted on, by reason", labelNames: ["protocol", "reason"], registers: [this.registry] });
  readonly lastObservationAge = new Gauge({
    name: "svr_keeper_last_observation_age_seconds",
    help: "Seconds since the last completed observation, by protocol",
    labelNames: ["protocol"],
    registers: [this.registry],
  });
  readonly lastActionBlock = new Gauge({
    name: "svr_keeper_last_action_block",
    help: "Block of the last action this process landed, by protocol",
    labelNames: ["protocol"],
    registers: [this.registry],
  });
  readonly reorgs = new Counter({
    name: "svr_keeper_reorgs_total",
    help: "Keeper transactions whose block left the chain after inclusion",
    labelNames: ["protocol", "when"],
    registers: [this.registry],
  });
  readonly selfHeals = new Counter({
    name: "svr_keeper_redis_state_recreated_total",
    help: "Times the queues' schedulers or meta were found lost in Redis and re-created",
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: "svr_keeper_queue_depth", help: "Jobs waiting or delayed, by queue", labelNames: ["queue"], registers: [this.registry] });

  observationSkipped(protocol: string, reason: SkipReason): void {
    this.skipped.inc({ protocol, reason });
  }

  rpcError(kind: string): void {
    this.rpcErrors.inc({ kind });
  }

  marketObserved(protocol: string, market: string, g: MarketGauges): void {
    const labels = { protocol, market };
    if (g.svr !== null) this.svr.set(labels, g.svr);
    this.buffer.set(labels, g.bufferUsd);
    this.level.set(labels, g.level);
    for (const direction of ["down", "up"] as const) {
      const v = g.breakingShock[direction];
      if (v === null) this.breakingShock.remove({ ...labels, direction });
      else this.breakingShock.set({ ...labels, direction }, v);
    }
  }
}

/** /metrics and /healthz on `port` (0: any free port). `beforeScrape` refreshes gauges read on demand. */
export async function serveMetrics(
  metrics: KeeperMetrics,
  port: number,
  beforeScrape: () => Promise<void> = async () => undefined,
  health: () => Promise<{ ok: boolean; reasons: string[] }> = async () => ({ ok: true, reasons: [] }),
  host = "127.0.0.1",
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === "/healthz") {
      health()
        .catch((e: Error) => ({ ok: false, reasons: [`health check failed: ${e.message}`] }))
        .then((h) => res.writeHead(h.ok ? 200 : 503, { "content-type": "text/plain" }).end(h.ok ? "ok\n" : `unhealthy\n${h.reasons.join("\n")}\n`));
      return;
    }
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    beforeScrape()
      .catch(() => undefined)
      .then(() => metrics.registry.metrics())
      .then((body) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(body))
      .catch((e: Error) => res.writeHead(500).end(e.message));
  });
  await new Promise<void>((r) => server.listen(port, host, () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}
