// Log lines, progress and fuel.

import * as sys from "./sys";
import { toBytes } from "./bytes";

/** Log levels of the log import. */
export enum Level {
  Debug = 0,
  Info = 1,
  Warn = 2,
  Error = 3,
}

/**
 * Logs one line (a string or bytes) at level. Logs are bounded and
 * rate-limited by the host; logging never fails a task.
 */
export function log<T>(level: Level, message: T): void {
  const b = toBytes(message);
  sys.log(level, b.dataStart, b.length);
}

/** Logs message at debug level. */
export function debug(message: string): void {
  log(Level.Debug, message);
}

/** Logs message at info level. */
export function info(message: string): void {
  log(Level.Info, message);
}

/** Logs message at warn level. */
export function warn(message: string): void {
  log(Level.Warn, message);
}

/** Logs message at error level. */
export function error(message: string): void {
  log(Level.Error, message);
}

/**
 * Reports the task's progress: done of total units of work. The last call
 * wins; it shows in task records, events, the CLI and the dashboard.
 */
export function progress(done: u64, total: u64): void {
  sys.progress(<i64>done, <i64>total);
}

/**
 * Returns the fuel left in the task's budget (about one unit per Wasm
 * instruction); the same point of the same run always sees the same value.
 */
export function fuelRemaining(): u64 {
  const f = sys.fuel_remaining();
  return f < 0 ? 0 : <u64>f;
}
