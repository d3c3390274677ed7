// AssemblyScript SDK for NexusTask tasks: every import of the guest ABI v1
// (module nexus_v1, specified in abi/ABI.md) with idiomatic wrappers.
//
//   import * as nexus from "path/to/abi/sdk/assemblyscript/assembly/index";
//
//   export function nexus_run(): i32 {
//     return nexus.run(shout);
//   }
//
//   function shout(input: Uint8Array): i32 {
//     nexus.info(input.length.toString() + " bytes in");
//     return nexus.output(nexus.utf8(input).toUpperCase());
//   }
//
// Every task runs in a fresh, single-threaded instance: nothing in memory
// survives from one task to the next.

export { ERR_NOT_FOUND, ERR_LIMIT, ERR_DENIED, ERR_INVALID, ERR_INTERNAL, ERR_FAILED } from "./sys";
export { toBytes, utf8, isSpace, trim } from "./bytes";
export { describe, setError, fail, failCode } from "./errors";
export { Value } from "./value";
export { inputLen, readInput, input, output } from "./io";
export { Level, log, debug, info, warn, error, progress, fuelRemaining } from "./log";
export { saveCheckpoint, loadCheckpoint, loadCheckpointInto } from "./checkpoint";
export { kvGet, kvGetInto, kvSet, kvDelete } from "./kv";
export { configGet, configGetInto } from "./config";
export { run } from "./run";
export { spawn, awaitOutput, awaitAny } from "./spawn";
export { Envelope, Source, readEnvelope } from "./envelope";

// The abort handler that builds name with --use abort=.../assembly/abort/abort.
import "./abort";
