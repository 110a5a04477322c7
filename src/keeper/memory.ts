import type { PolicyState } from "../policy";
import type { SvrObservation } from "../risk";

/** What the observer carries from one observation of a protocol to the next. */
export interface ObserverMemory {
  state: PolicyState;
  history: Record<string, SvrObservation[]>;
  lastPrices: Record<string, number>;
  lastBlock: number;
  /** The steward's freeze as last observed: freeze and unfreeze are alerted once each, on the change. */
  stewardFrozen?: boolean;
}

export const EMPTY_MEMORY: ObserverMemory = { state: { markets: {} }, history: {}, lastPrices: {}, lastBlock: 0 };

/** Where the observer keeps its memory between observations (Redis in the service, a map in a rehearsal). */
export interface ObserverMemoryStore {
  load(protocol: string): Promise<ObserverMemory>;
  save(protocol: string, memory: ObserverMemory): Promise<void>;
}

/** A memory held in this process, cloned in and out as a store that serializes would. */
export function inMemoryObserverMemory(): ObserverMemoryStore {
  const memories = new Map<string, ObserverMemory>();
  return {
    load: async (p) => structuredClone(memories.get(p) ?? EMPTY_MEMORY),
    save: async (p, m) => void memories.set(p, structuredClone(m)),
  };
}
