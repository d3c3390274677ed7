// sha256: a CPU-heavy NexusTask task. Its input is "R:text", a decimal
// repeat count R, a colon and then any bytes; its output is the SHA-256 of
// the text repeated R times, as 64 lowercase hex digits.
//
// SHA-256 is implemented in plain AssemblyScript (sha256.ts), with no
// dependencies. The module is declared pure, so the host may cache its
// results.

import * as nexus from "../../../abi/sdk/assemblyscript/assembly/index";
import { Hash } from "./sha256";

/** The task's entry point. */
export function nexus_run(): i32 {
  return nexus.run(digest);
}

/** Declares the module pure to the host; never called. */
export function nexus_pure(): void {}

/** The repeat count parseRepeat read last (a task is single-threaded). */
let repeat: u64 = 0;

/**
 * Parses text as a decimal u64 allowing surrounding whitespace, into
 * repeat. It returns false if it is not such a number.
 */
function parseRepeat(text: Uint8Array): bool {
  text = nexus.trim(text);
  if (text.length == 0) return false;
  let v: u64 = 0;
  for (let p = 0; p < text.length; p++) {
    const c = text[p];
    if (c < 0x30 || c > 0x39) return false;
    const d = <u64>(c - 0x30);
    if (v > (u64.MAX_VALUE - d) / 10) return false;
    v = v * 10 + d;
  }
  repeat = v;
  return true;
}

function digest(input: Uint8Array): i32 {
  const colon = input.indexOf(0x3a);
  if (colon < 0) return nexus.fail("input: want R:text");
  if (!parseRepeat(input.subarray(0, colon))) return nexus.fail("input: R must be a decimal number");
  const text = input.dataStart + <usize>(colon + 1);
  const tlen = input.length - colon - 1;

  const h = new Hash();
  for (let i: u64 = 0; i < repeat; i++) h.update(text, tlen);
  const sum = h.final();

  const digits = "0123456789abcdef";
  let hex = "";
  for (let i = 0; i < sum.length; i++) {
    hex += digits.charAt(sum[i] >> 4) + digits.charAt(sum[i] & 0xf);
  }
  const r = nexus.output(hex);
  return r < 0 ? nexus.failCode("output", r) : 0;
}
