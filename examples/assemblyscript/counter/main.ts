// counter: a NexusTask task that counts in its module's key-value store.
//
// It reads the key "count" (a decimal number as ASCII text; absent means
// 0), adds the configuration value "step" (a decimal number, possibly
// negative; 1 if not set), stores the sum back under "count" and outputs
// it in decimal. Its input is ignored.

import * as nexus from "../../../abi/sdk/assemblyscript/assembly/index";

/** The kv key holding the count. */
const KEY = "count";

/** The task's entry point. */
export function nexus_run(): i32 {
  return nexus.run(counter);
}

/** The number parse read last (a task is single-threaded). */
let parsed: i64 = 0;

/**
 * Parses a decimal i64 with an optional sign, allowing surrounding ASCII
 * whitespace, into parsed. It returns false if text is not such a number
 * or does not fit.
 */
function parse(text: Uint8Array): bool {
  text = nexus.trim(text);
  let p = 0;
  const end = text.length;
  const neg = p < end && text[p] == 0x2d;
  if (p < end && (text[p] == 0x2d || text[p] == 0x2b)) p++;
  if (p == end) return false;
  // Accumulate negatively so that the smallest i64 parses too.
  let v: i64 = 0;
  for (; p < end; p++) {
    const c = text[p];
    if (c < 0x30 || c > 0x39) return false;
    const d = <i64>(c - 0x30);
    if (v < i64.MIN_VALUE / 10) return false;
    v *= 10;
    if (v < i64.MIN_VALUE + d) return false;
    v -= d;
  }
  if (!neg) {
    if (v == i64.MIN_VALUE) return false;
    v = -v;
  }
  parsed = v;
  return true;
}

function counter(_input: Uint8Array): i32 {
  let count: i64 = 0;
  const stored = nexus.kvGet(KEY);
  if (stored.found) {
    if (!parse(stored.bytes)) return nexus.fail("kv " + KEY + ": not a decimal number");
    count = parsed;
  } else if (stored.failed) {
    return nexus.failCode("kv " + KEY, stored.code);
  }

  let step: i64 = 1;
  const config = nexus.configGet("step");
  if (config.found) {
    if (!parse(config.bytes)) return nexus.fail("config step: not a decimal number");
    step = parsed;
  } else if (config.failed) {
    return nexus.failCode("config step", config.code);
  }

  if ((step > 0 && count > i64.MAX_VALUE - step) || (step < 0 && count < i64.MIN_VALUE - step)) {
    return nexus.fail("counter: overflow");
  }
  const next = (count + step).toString();
  let r = nexus.kvSet(KEY, next);
  if (r < 0) return nexus.failCode("kv " + KEY, r);
  r = nexus.output(next);
  return r < 0 ? nexus.failCode("output", r) : 0;
}
