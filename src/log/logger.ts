import winston from "winston";
import { Redactor } from "./redact";

export type Logger = winston.Logger;

export interface LoggerOptions {
  level?: string;
  redactor: Redactor;
  /** Where lines go; defaults to stderr so that stdout stays for command output. */
  stream?: NodeJS.WritableStream;
  service?: string;
}

/** winston JSON logger whose every record passes through the redactor before it is written. */
export function createLogger(opts: LoggerOptions): Logger {
  const redactSecrets = winston.format((info) => {
    const clean = opts.redactor.redactValue({ ...info }) as Record<string, unknown>;
    for (const key of Object.keys(info)) delete (info as Record<string, unknown>)[key];
    Object.assign(info, clean);
    return info;
  });
  const transport = opts.stream
    ? new winston.transports.Stream({ stream: opts.stream })
    : new winston.transports.Console({ stderrLevels: ["error", "warn", "info", "http", "verbose", "debug", "silly"] });
  return winston.createLogger({
    level: opts.level ?? "info",
    defaultMeta: { service: opts.service ?? "svr-keeper" },
    format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp(), redactSecrets(), winston.format.json()),
    transports: [transport],
  });
}

/** A logger that discards everything: for library callers and tests that do not care. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
