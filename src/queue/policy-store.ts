import type Redis from "ioredis";
import type { PolicyState } from "../policy";
import type { SvrObservation } from "../risk";

/** What the observer carries from one observation of a protocol to the next. */
export interface ObserverMemory {
  state: PolicyState;
  history: Record<string, SvrObservation[]>;
  lastPrices: Record<string, number>;
  lastBlock: number;
}

export const EMPTY_MEMORY: ObserverMemory = { state: { markets: {} }, history: {}, lastPrices: {}, lastBlock: 0 };

/** The observer's memory in Redis, one key per protocol (its observe queue runs one job at a time). */
export class RedisObserverMemory {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async load(protocol: string): Promise<ObserverMemory> {
    const raw = await this.redis.get(this.key(protocol));
    return raw ? (JSON.parse(raw) as ObserverMemory) : structuredClone(EMPTY_MEMORY);
  }

  async save(protocol: string, memory: ObserverMemory): Promise<void> {
    await this.redis.set(this.key(protocol), JSON.stringify(memory));
  }

  private key(protocol: string): string {
    return `${this.prefix}:observer:${protocol}`;
  }
}
