import type { RedisClient } from "./redis-connection";
import { EMPTY_MEMORY, type ObserverMemory, type ObserverMemoryStore } from "../keeper/memory";

/** The observer's memory in Redis, one key per protocol (its observe queue runs one job at a time). */
export class RedisObserverMemory implements ObserverMemoryStore {
  constructor(
    private readonly redis: RedisClient,
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
