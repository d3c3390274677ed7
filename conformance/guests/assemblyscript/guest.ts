// The AssemblyScript conformance guest: a nexus-v1 task that reads a
// command script (conformance/SCRIPT.md) from its input and performs it
// through the AssemblyScript SDK (abi/sdk/assemblyscript), writing what each
// call returns to its output. RAW_OUTPUT goes below the SDK's wrappers on
// purpose: it passes the script's raw pointer and length to the
// output_write import. STDERR writes with WASI fd_write on fd 2.
//
// Rebuild it with examples/assemblyscript/build.sh.

import * as nexus from "../../../abi/sdk/assemblyscript/assembly/index";
import * as sys from "../../../abi/sdk/assemblyscript/assembly/sys";

/** What nexus_run returns for a malformed script. */
const BAD_SCRIPT = 99;

// Ops of the script format.
const OP_OUTPUT: u8 = 0x01;
const OP_OUTPUT_REPEAT: u8 = 0x02;
const OP_INPUT_LEN: u8 = 0x03;
const OP_INPUT_READ: u8 = 0x04;
const OP_LOG: u8 = 0x05;
const OP_PROGRESS: u8 = 0x06;
const OP_CHECKPOINT_SAVE: u8 = 0x07;
const OP_CHECKPOINT_LOAD: u8 = 0x08;
const OP_KV_GET: u8 = 0x09;
const OP_KV_SET: u8 = 0x0a;
const OP_KV_DELETE: u8 = 0x0b;
const OP_CONFIG_GET: u8 = 0x0c;
const OP_FUEL: u8 = 0x0d;
const OP_FAIL: u8 = 0x0e;
const OP_TRAP: u8 = 0x0f;
const OP_SPIN: u8 = 0x10;
const OP_ALLOC: u8 = 0x11;
const OP_RAW_OUTPUT: u8 = 0x12;
const OP_RECURSE: u8 = 0x13;
const OP_RETURN: u8 = 0x14;
const OP_STDERR: u8 = 0x15;
const OP_SPAWN: u8 = 0x16;
const OP_AWAIT: u8 = 0x17;
const OP_AWAIT_ANY: u8 = 0x18;
const OP_ENVELOPE: u8 = 0x19;

/** WASI fd_write, for STDERR. */
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: i32, iovs: usize, iovsLen: i32, nwritten: usize): i32;

/**
 * Where SPIN and RECURSE store their results, so that the optimizer cannot
 * remove their work: memory stores are observable.
 */
const SINK = memory.data(8);

/** Decodes a script's little-endian fields; ok turns false when the script ends too soon. */
class Reader {
  pos: i32 = 0;
  ok: bool = true;

  constructor(public script: Uint8Array) {}

  get left(): i32 {
    return this.script.length - this.pos;
  }

  take(n: u32): Uint8Array {
    if (!this.ok || n > <u32>this.left) {
      this.ok = false;
      return new Uint8Array(0);
    }
    const b = this.script.subarray(this.pos, this.pos + <i32>n);
    this.pos += <i32>n;
    return b;
  }

  u8(): u8 {
    const b = this.take(1);
    return this.ok ? b[0] : 0;
  }

  u32(): u32 {
    const b = this.take(4);
    return this.ok ? load<u32>(b.dataStart) : 0;
  }

  u64(): u64 {
    const b = this.take(8);
    return this.ok ? load<u64>(b.dataStart) : 0;
  }

  /** A length-prefixed byte string, a view into the script. */
  bytes(): Uint8Array {
    return this.take(this.u32());
  }
}

/** Writes an i32 record. */
function writeI32(v: i32): void {
  const b = new Uint8Array(4);
  store<i32>(b.dataStart, v);
  nexus.output(b);
}

/** Writes the record of a "length, copied if it fits" call: r, then the value if it was copied. */
function writeValue(r: i32, buf: Uint8Array): void {
  writeI32(r);
  if (r >= 0 && r <= buf.length) nexus.output(buf.subarray(0, r));
}

/** Writes the record of a call that returned a whole value, asked with a capacity of cap: its length or code, then the value if it fits. */
function writeWhole(v: nexus.Value, cap: u32): void {
  writeI32(v.code);
  if (v.found && <u32>v.bytes.length <= cap) nexus.output(v.bytes);
}

/** Runs a loop of n iterations whose result is stored to SINK. */
function spin(n: u64): void {
  let x = load<u64>(SINK);
  for (let i: u64 = 0; i < n; i++) x = x * 31 + i;
  store<u64>(SINK, x);
}

/** Recurses depth levels, one real call per level: each result is used after the call returns. */
function recurse(depth: u32): u64 {
  if (depth == 0) return load<u64>(SINK);
  return recurse(depth - 1) * 31 + <u64>depth;
}

/** Allocates mib MiB, writes one byte in every 4 KiB and keeps it until the task ends; traps if that fails. */
function alloc(mib: u32): void {
  if (mib == 0) return;
  if (mib >= 4096) unreachable(); // 4 GiB or more does not fit a 32-bit address space
  const size = <usize>mib << 20;
  const p = heap.alloc(size); // traps when memory cannot grow
  for (let off: usize = 0; off < size; off += 4096) store<u8>(p + off, 1);
}

/** Writes s to stderr (WASI fd_write on fd 2). */
function writeStderr(s: Uint8Array): void {
  const iov = memory.data(12); // {buf, len}, then the count written
  let p = s.dataStart;
  let left = s.length;
  while (left > 0) {
    store<usize>(iov, p);
    store<u32>(iov, left, 4);
    if (fd_write(2, iov, 1, iov + 8) != 0) return;
    const n = load<u32>(iov, 8);
    if (n == 0) return;
    p += n;
    left -= n;
  }
}

/** The code nexus_run returns after the script ran. */
let code: i32 = 0;

/** Runs the commands after the magic; returns false for a truncated script or an unknown op. */
function perform(s: Reader): bool {
  let lastFuel: i64 = i64.MAX_VALUE;
  while (s.left > 0) {
    const op = s.u8();
    if (op == OP_OUTPUT) {
      const a = s.bytes();
      if (!s.ok) return false;
      nexus.output(a);
    } else if (op == OP_OUTPUT_REPEAT) {
      const a = s.bytes();
      const n = s.u32();
      if (!s.ok) return false;
      for (let i: u32 = 0; i < n; i++) if (nexus.output(a) < 0) break;
    } else if (op == OP_INPUT_LEN) {
      writeI32(nexus.inputLen());
    } else if (op == OP_INPUT_READ) {
      const n = s.u32();
      if (!s.ok) return false;
      writeI32(nexus.readInput(new Uint8Array(n)));
    } else if (op == OP_LOG) {
      const level = s.u32();
      const msg = s.bytes();
      if (!s.ok) return false;
      nexus.log(<nexus.Level>level, msg);
    } else if (op == OP_PROGRESS) {
      const done = s.u64();
      const total = s.u64();
      if (!s.ok) return false;
      nexus.progress(done, total);
    } else if (op == OP_CHECKPOINT_SAVE) {
      const a = s.bytes();
      if (!s.ok) return false;
      writeI32(nexus.saveCheckpoint(a));
    } else if (op == OP_CHECKPOINT_LOAD) {
      const cap = s.u32();
      if (!s.ok) return false;
      const buf = new Uint8Array(cap);
      writeValue(nexus.loadCheckpointInto(buf), buf);
    } else if (op == OP_KV_GET) {
      const key = s.bytes();
      const cap = s.u32();
      if (!s.ok) return false;
      const buf = new Uint8Array(cap);
      writeValue(nexus.kvGetInto(key, buf), buf);
    } else if (op == OP_KV_SET) {
      const key = s.bytes();
      const value = s.bytes();
      if (!s.ok) return false;
      writeI32(nexus.kvSet(key, value));
    } else if (op == OP_KV_DELETE) {
      const key = s.bytes();
      if (!s.ok) return false;
      writeI32(nexus.kvDelete(key));
    } else if (op == OP_CONFIG_GET) {
      const key = s.bytes();
      const cap = s.u32();
      if (!s.ok) return false;
      const buf = new Uint8Array(cap);
      writeValue(nexus.configGetInto(key, buf), buf);
    } else if (op == OP_FUEL) {
      const f = <i64>nexus.fuelRemaining();
      writeI32(0 < f && f < lastFuel ? 1 : 0);
      lastFuel = f;
    } else if (op == OP_FAIL) {
      const msg = s.bytes();
      const c = s.u32();
      if (!s.ok) return false;
      nexus.setError(msg);
      code = <i32>c;
      return true;
    } else if (op == OP_TRAP) {
      unreachable();
    } else if (op == OP_SPIN) {
      const n = s.u64();
      if (!s.ok) return false;
      spin(n);
    } else if (op == OP_ALLOC) {
      const mib = s.u32();
      if (!s.ok) return false;
      alloc(mib);
    } else if (op == OP_RAW_OUTPUT) {
      const ptr = s.u32();
      const len = s.u32();
      if (!s.ok) return false;
      // The host bounds-checks the range and traps the task if it lies
      // outside memory: that is what this op tests.
      writeI32(sys.output_write(<usize>ptr, <i32>len));
    } else if (op == OP_RECURSE) {
      const depth = s.u32();
      if (!s.ok) return false;
      store<u64>(SINK, recurse(depth));
    } else if (op == OP_RETURN) {
      const c = s.u32();
      if (!s.ok) return false;
      code = <i32>c;
      return true;
    } else if (op == OP_STDERR) {
      const a = s.bytes();
      if (!s.ok) return false;
      writeStderr(a);
    } else if (op == OP_SPAWN) {
      const m = s.bytes();
      const input = s.bytes();
      const opts = s.bytes();
      if (!s.ok) return false;
      writeI32(nexus.spawn(nexus.utf8(m), input, nexus.utf8(opts)));
    } else if (op == OP_AWAIT) {
      const h = s.u32();
      const cap = s.u32();
      if (!s.ok) return false;
      writeWhole(nexus.awaitOutput(<i32>h), cap);
    } else if (op == OP_AWAIT_ANY) {
      const raw = s.bytes();
      if (!s.ok) return false;
      const handles = new Int32Array(raw.length / 4);
      for (let i = 0; i < handles.length; i++) handles[i] = load<i32>(raw.dataStart + <usize>(4 * i));
      writeI32(nexus.awaitAny(handles));
    } else if (op == OP_ENVELOPE) {
      const env = s.bytes();
      const id = s.bytes();
      const cap = s.u32();
      if (!s.ok) return false;
      const e = nexus.readEnvelope(env);
      if (e == null) {
        writeI32(nexus.ERR_INVALID);
      } else {
        const src = e.get(nexus.utf8(id));
        if (src == null) writeI32(nexus.ERR_NOT_FOUND);
        else if (!src.succeeded) writeI32(nexus.ERR_FAILED);
        else writeWhole(new nexus.Value(src.output.length, src.output), cap);
      }
    } else {
      return false;
    }
  }
  code = 0;
  return true;
}

/** Runs a whole script: the magic "NXC1", then commands. */
function conformance(input: Uint8Array): i32 {
  const s = new Reader(input);
  const magic = s.take(4);
  if (!s.ok || magic[0] != 0x4e || magic[1] != 0x58 || magic[2] != 0x43 || magic[3] != 0x31 || !perform(s)) {
    return nexus.fail("conformance: bad script", BAD_SCRIPT);
  }
  return code;
}

/** The task's entry point. */
export function nexus_run(): i32 {
  return nexus.run(conformance);
}
