// The task's entry point.

import { input } from "./io";

/**
 * Runs a task: reads the whole input, calls handler with it and returns
 * what it returns, for nexus_run to return. The handler writes its output
 * with output() and returns 0 on success, or a non-zero code after setting
 * the error message (`return fail("...")`).
 *
 *   export function nexus_run(): i32 {
 *     return run(handler);
 *   }
 */
export function run(handler: (input: Uint8Array) => i32): i32 {
  return handler(input());
}
