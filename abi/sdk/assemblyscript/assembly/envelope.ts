// Reading the input of a workflow step with several input_from sources: a
// JSON object with one member per source step, the base64 of its output if
// it succeeded, else an object with its state and, when known, error_code
// and error_message (abi/ABI.md, "Workflow inputs").

/** One source step of an envelope. */
export class Source {
  /** The step's id. */
  id: string = "";
  /** "succeeded", or failed, dead, canceled or skipped. */
  state: string = "";
  /** The output of a step that succeeded; empty otherwise. */
  output: Uint8Array = new Uint8Array(0);
  errorCode: string = "";
  errorMessage: string = "";

  /** Whether the step succeeded. */
  get succeeded(): bool {
    return this.state == "succeeded";
  }
}

/** A decoded envelope: its source steps, in the order of the input. */
export class Envelope {
  sources: Array<Source> = [];

  /** Returns step id's source, or null if the envelope has none. */
  get(id: string): Source | null {
    for (let i = 0; i < this.sources.length; i++) {
      if (this.sources[i].id == id) return this.sources[i];
    }
    return null;
  }

  /** Returns step id's output, or null if it is missing or did not succeed. */
  output(id: string): Uint8Array | null {
    const s = this.get(id);
    if (s == null || !s.succeeded) return null;
    return s.output;
  }
}

class Parser {
  i: i32 = 0;
  ok: bool = true;
  constructor(public s: Uint8Array) {}

  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.i++;
    }
  }

  peek(): i32 {
    this.ws();
    return this.i < this.s.length ? <i32>this.s[this.i] : -1;
  }

  eat(c: i32): bool {
    if (this.peek() != c) {
      this.ok = false;
      return false;
    }
    this.i++;
    return true;
  }

  hex4(): i32 {
    if (this.i + 4 > this.s.length) {
      this.ok = false;
      return 0;
    }
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = <i32>this.s[this.i++];
      let d = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      if (d < 0) {
        this.ok = false;
        return 0;
      }
      v = (v << 4) | d;
    }
    return v;
  }

  /** A JSON string's bytes, UTF-8, escapes decoded. */
  str(): Uint8Array {
    const out = new Array<u8>();
    if (!this.eat(0x22)) return new Uint8Array(0);
    while (this.ok) {
      if (this.i >= this.s.length) {
        this.ok = false;
        break;
      }
      let c = <i32>this.s[this.i++];
      if (c == 0x22) {
        const b = new Uint8Array(out.length);
        for (let k = 0; k < out.length; k++) b[k] = out[k];
        return b;
      }
      if (c < 0x20) {
        this.ok = false;
        break;
      }
      if (c != 0x5c) {
        out.push(<u8>c);
        continue;
      }
      if (this.i >= this.s.length) {
        this.ok = false;
        break;
      }
      c = <i32>this.s[this.i++];
      if (c == 0x22 || c == 0x5c || c == 0x2f) out.push(<u8>c);
      else if (c == 0x62) out.push(8);
      else if (c == 0x66) out.push(12);
      else if (c == 0x6e) out.push(10);
      else if (c == 0x72) out.push(13);
      else if (c == 0x74) out.push(9);
      else if (c == 0x75) {
        let u = this.hex4();
        if (u >= 0xd800 && u < 0xdc00 && this.i + 1 < this.s.length && this.s[this.i] == 0x5c && this.s[this.i + 1] == 0x75) {
          this.i += 2;
          const lo = this.hex4();
          u = 0x10000 + ((u - 0xd800) << 10) + ((lo - 0xdc00) & 0x3ff);
        }
        if (u < 0x80) out.push(<u8>u);
        else if (u < 0x800) {
          out.push(<u8>(0xc0 | (u >> 6)));
          out.push(<u8>(0x80 | (u & 0x3f)));
        } else if (u < 0x10000) {
          out.push(<u8>(0xe0 | (u >> 12)));
          out.push(<u8>(0x80 | ((u >> 6) & 0x3f)));
          out.push(<u8>(0x80 | (u & 0x3f)));
        } else {
          out.push(<u8>(0xf0 | (u >> 18)));
          out.push(<u8>(0x80 | ((u >> 12) & 0x3f)));
          out.push(<u8>(0x80 | ((u >> 6) & 0x3f)));
          out.push(<u8>(0x80 | (u & 0x3f)));
        }
      } else this.ok = false;
    }
    return new Uint8Array(0);
  }

  text(): string {
    const b = this.str();
    return String.UTF8.decodeUnsafe(b.dataStart, b.length);
  }
}

function b64digit(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2b) return 62;
  if (c == 0x2f) return 63;
  return -1;
}

/** Decodes standard base64 with padding; null if it is not. */
function base64(b: Uint8Array): Uint8Array | null {
  if (b.length % 4 != 0) return null;
  let pad = 0;
  if (b.length > 0 && b[b.length - 1] == 0x3d) pad++;
  if (b.length > 1 && b[b.length - 2] == 0x3d) pad++;
  const out = new Uint8Array((b.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < b.length; i += 4) {
    let acc = 0;
    for (let k = 0; k < 4; k++) {
      const c = <i32>b[i + k];
      let d = 0;
      if (c == 0x3d) {
        if (i + k < b.length - pad) return null;
      } else {
        d = b64digit(c);
        if (d < 0 || i + k >= b.length - pad) return null;
      }
      acc = (acc << 6) | d;
    }
    if (o < out.length) out[o++] = <u8>(acc >> 16);
    if (o < out.length) out[o++] = <u8>(acc >> 8);
    if (o < out.length) out[o++] = <u8>acc;
  }
  return out;
}

/** Decodes an envelope; null if input is not one. */
export function readEnvelope(input: Uint8Array): Envelope | null {
  const p = new Parser(input);
  const env = new Envelope();
  if (!p.eat(0x7b)) return null;
  if (p.peek() == 0x7d) {
    p.i++;
  } else {
    while (p.ok) {
      const s = new Source();
      s.id = p.text();
      if (!p.eat(0x3a)) return null;
      const c = p.peek();
      if (c == 0x22) {
        const out = base64(p.str());
        if (out == null) return null;
        s.state = "succeeded";
        s.output = out;
      } else if (c == 0x7b) {
        p.i++;
        while (p.ok) {
          const k = p.text();
          if (!p.eat(0x3a)) return null;
          const v = p.text();
          if (k == "state") s.state = v;
          else if (k == "error_code") s.errorCode = v;
          else if (k == "error_message") s.errorMessage = v;
          const d = p.peek();
          p.i++;
          if (d == 0x7d) break;
          if (d != 0x2c) return null;
        }
        if (s.state == "") return null;
      } else return null;
      if (!p.ok) return null;
      env.sources.push(s);
      const d = p.peek();
      p.i++;
      if (d == 0x7d) break;
      if (d != 0x2c) return null;
    }
  }
  if (!p.ok || p.peek() != -1) return null;
  return env;
}
