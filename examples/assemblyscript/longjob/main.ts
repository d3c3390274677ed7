// longjob: a NexusTask task that runs many small steps, reports its
// progress after each one and checkpoints every 100, so that a durable task
// resumes where it stopped when it is retried or the server restarts.
//
// Its input is the number of steps N in decimal (1000 if the input is
// empty). Step i folds the eight little-endian bytes of i into a 64-bit
// FNV-1a hash (offset basis 0xcbf29ce484222325, prime 0x100000001b3); the
// output is the final hash as 16 lowercase hex digits, the same whether or
// not the run resumed from a checkpoint.
//
// The checkpoint is 24 bytes, three little-endian u64s: N, the number of
// steps done, and the hash so far. A checkpoint for another N is ignored.

import * as nexus from "../../../abi/sdk/assemblyscript/assembly/index";

/** The number of steps when the input is empty. */
const DEFAULT_STEPS: u64 = 1000;
/** Steps between two checkpoints. */
const CHECKPOINT_EVERY: u64 = 100;
/** FNV-1a 64 parameters. */
const OFFSET_BASIS: u64 = 0xcbf29ce484222325;
const PRIME: u64 = 0x100000001b3;
/** The checkpoint's size: N, steps done, hash. */
const STATE_SIZE = 24;

/** The task's entry point. */
export function nexus_run(): i32 {
  return nexus.run(longjob);
}

/** Sentinel parseSteps returns for an input that is not a number. */
const INVALID: u64 = u64.MAX_VALUE;

/**
 * Parses the input as a decimal u64 allowing surrounding whitespace,
 * DEFAULT_STEPS if it is blank, INVALID if it is not a number (or is
 * u64.MAX_VALUE itself, which no one waits for).
 */
function parseSteps(text: Uint8Array): u64 {
  text = nexus.trim(text);
  if (text.length == 0) return DEFAULT_STEPS;
  let v: u64 = 0;
  for (let p = 0; p < text.length; p++) {
    const c = text[p];
    if (c < 0x30 || c > 0x39) return INVALID;
    const d = <u64>(c - 0x30);
    if (v > (u64.MAX_VALUE - d) / 10) return INVALID;
    v = v * 10 + d;
  }
  return v;
}

function longjob(input: Uint8Array): i32 {
  const n = parseSteps(input);
  if (n == INVALID) return nexus.fail("input: not a decimal number");

  let done: u64 = 0;
  let hash = OFFSET_BASIS;
  const state = new Uint8Array(STATE_SIZE);
  const p = state.dataStart;
  const r = nexus.loadCheckpointInto(state);
  if (r >= 0) {
    // A checkpoint of another size did not fit, or does not fit our
    // format: either way it is not ours.
    if (r != STATE_SIZE || load<u64>(p) != n || load<u64>(p, 8) > n) {
      nexus.warn("ignoring a checkpoint of another run");
    } else {
      done = load<u64>(p, 8);
      hash = load<u64>(p, 16);
      nexus.info("resuming after step " + done.toString() + " of " + n.toString());
    }
  } else if (r != nexus.ERR_NOT_FOUND) {
    return nexus.failCode("checkpoint", r);
  }

  while (done < n) {
    for (let i: u64 = 0; i < 8; i++) hash = (hash ^ ((done >> (8 * i)) & 0xff)) * PRIME;
    done++;
    nexus.progress(done, n);
    if (done % CHECKPOINT_EVERY == 0) {
      store<u64>(p, n);
      store<u64>(p, done, 8);
      store<u64>(p, hash, 16);
      const saved = nexus.saveCheckpoint(state);
      if (saved < 0) return nexus.failCode("checkpoint", saved);
    }
  }
  nexus.progress(n, n);

  let hex = hash.toString(16);
  while (hex.length < 16) hex = "0" + hex;
  const w = nexus.output(hex);
  return w < 0 ? nexus.failCode("output", w) : 0;
}
