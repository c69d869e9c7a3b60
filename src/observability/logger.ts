/**
 * Structured JSON logging (pino) with Kubernetes-style fields.
 *
 * Lines look like `{"level":"info","ts":"2025-…Z","logger":"netfence","msg":"Applied NetworkPolicy","namespace":"team-a","networkPolicy":"netfence-default-deny"}`:
 * the level as a word, an ISO timestamp, the message under `msg`, and objects named
 * by kind in camelCase (`namespace`, `isolationProfile`, `networkPolicy`). Errors go
 * under `err` (pino's serializer). Never `console.log` in the operator.
 */
import { pino, type DestinationStream, type Level, type Logger } from "pino";

export type { Logger } from "pino";

export type LogLevel = Level | "silent";

export interface LoggerOptions {
  /** Minimum level; default "info". */
  level?: LogLevel;
  /** The `logger` field on every line; default "netfence". */
  name?: string;
  /** Where lines go; default stdout. Tests pass a stream to capture lines. */
  destination?: DestinationStream;
}

const LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** True when `value` names a pino level (for validating `--log-level` / env input). */
export function isLogLevel(value: string): value is LogLevel {
  return (LEVELS as readonly string[]).includes(value);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const config = {
    level: options.level ?? "info",
    name: options.name ?? "netfence",
    messageKey: "msg",
    timestamp: () => `,"ts":"${new Date().toISOString()}"`,
    base: undefined,
    formatters: {
      level: (label: string) => ({ level: label }),
      bindings: (bindings: pino.Bindings) => ({ logger: bindings.name as unknown }),
    },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** A logger that writes nothing (tests, library defaults). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
