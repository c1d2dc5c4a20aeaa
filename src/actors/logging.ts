/**
 * Logging: the `logger` option of `createUpbitHub`, pino-compatible, silent by default.
 *
 * How to read: `Logger` is the shape we call (pino, bunyan-style or your own object: each level is
 * `fn(object, message)`); `hubLog(logger)` wraps it so that every object passes through
 * `redact()` (keys named like secrets and JWT-shaped strings become "[redacted]") and a logger that
 * throws never breaks the hub. Levels used by the hub:
 *
 *   debug  requests sent (with their size), subscriptions added and removed
 *   info   connection opened, hub stopped
 *   warn   connection dropped (with its cause), retrying, Upbit refusals (error frames), shedding,
 *          decode errors, health degraded
 *   error  connection failed for good, health unhealthy
 */
import { redact } from './inspect.js';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type Level = keyof Logger;

export interface HubLog {
  readonly enabled: boolean;
  log(level: Level, obj: object, msg: string): void;
}

const SILENT: HubLog = { enabled: false, log: () => {} };

export function hubLog(logger: Logger | undefined): HubLog {
  if (!logger) return SILENT;
  return {
    enabled: true,
    log(level, obj, msg) {
      try {
        logger[level](redact(obj) as object, msg);
      } catch {
        // a logger must never break the hub it logs
      }
    },
  };
}
