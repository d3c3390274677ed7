// The abort handler for AssemblyScript's runtime errors (a failed
// assertion, an index out of range, an explicit abort()). Build with
//   --use abort=<path of this file without .ts>/abort
// so that the module does not import env.abort: the message is logged at
// error level and the task traps (error code "trap").

import * as sys from "./sys";

/** Logs where and why the program aborted, then traps. */
export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = "abort";
  if (message !== null) text += ": " + message;
  if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  const b = String.UTF8.encode(text);
  sys.log(3, changetype<usize>(b), b.byteLength);
  unreachable();
}
