import Redis from "ioredis";

/**
 * BullMQ's connection, from the configured URL as ioredis parses it (rediss:// turns TLS on; a user
 * name and a database are kept). No retry limit per request: BullMQ's workers block on Redis and
 * must wait out a restart rather than fail.
 */
export function queueConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}
