// wordcount: a NexusTask task that counts the words, lines and bytes of its
// input and lists its five most frequent words, as one line of JSON. For
// the input "the fox saw the dog\nthe dog ran" it outputs
//
//   {"words":8,"lines":1,"bytes":31,"top":[["the",3],["dog",2],["fox",1],["ran",1],["saw",1]]}
//
//   - words: maximal runs of bytes other than the ASCII whitespace space,
//     \t, \n, \v, \f and \r (as wc -w counts them), compared byte for byte
//     (case-sensitive);
//   - lines: the number of \n bytes (as wc -l counts them);
//   - bytes: the input's length;
//   - top: up to five [word, count] pairs, most frequent first, ties broken
//     by the word in ascending byte order.
//
// In words, " and \ are escaped with a backslash and bytes below 0x20 as
// \u00XX; every other byte is copied as it is. The wordcount example of
// every language gives the same output for the same input. The module is
// declared pure, so the host may cache its results.

import * as nexus from "../../../abi/sdk/assemblyscript/assembly/index";

/** How many words "top" lists. */
const TOP = 5;

/** The task's entry point. */
export function nexus_run(): i32 {
  return nexus.run(wordcount);
}

/** Declares the module pure to the host; never called. */
export function nexus_pure(): void {}

/** A distinct word of the input (an offset and a length into it) and its count. */
class Word {
  constructor(public start: i32, public len: i32, public count: u64) {}
}

/** An open-addressing hash table of the input's words; its capacity is a power of two. */
class Table {
  slots: StaticArray<Word | null> = new StaticArray<Word | null>(64);
  used: i32 = 0;

  constructor(public input: Uint8Array) {}

  /** Counts one occurrence of the word at [start, start+len). */
  add(start: i32, len: i32): void {
    if ((this.used + 1) * 4 > this.slots.length * 3) this.grow();
    const i = this.find(this.slots, start, len);
    let w = unchecked(this.slots[i]);
    if (w === null) {
      w = new Word(start, len, 0);
      unchecked((this.slots[i] = w));
      this.used++;
    }
    w.count++;
  }

  /** Returns the index of the slot holding the word, or of the empty slot where it goes. */
  find(slots: StaticArray<Word | null>, start: i32, len: i32): i32 {
    const base = this.input.dataStart;
    const mask = slots.length - 1;
    let i = <i32>(hash(base + <usize>start, len) & <u32>mask);
    let w = unchecked(slots[i]);
    while (w !== null && (w.len != len || memory.compare(base + <usize>w.start, base + <usize>start, len) != 0)) {
      i = (i + 1) & mask;
      w = unchecked(slots[i]);
    }
    return i;
  }

  /** Doubles the capacity. */
  grow(): void {
    const slots = new StaticArray<Word | null>(this.slots.length * 2);
    for (let i = 0; i < this.slots.length; i++) {
      const w = unchecked(this.slots[i]);
      if (w !== null) unchecked((slots[this.find(slots, w.start, w.len)] = w));
    }
    this.slots = slots;
  }
}

/** FNV-1a 32 over len bytes at p. */
function hash(p: usize, len: i32): u32 {
  let h: u32 = 2166136261;
  for (let i = 0; i < len; i++) h = (h ^ load<u8>(p + <usize>i)) * 16777619;
  return h;
}

/** Reports whether a ranks above b: a higher count, or the same count and a word first in byte order. */
function before(input: Uint8Array, a: Word, b: Word): bool {
  if (a.count != b.count) return a.count > b.count;
  const n = a.len < b.len ? a.len : b.len;
  const c = memory.compare(input.dataStart + <usize>a.start, input.dataStart + <usize>b.start, n);
  return c != 0 ? c < 0 : a.len < b.len;
}

/** A growable byte buffer for the JSON output. */
class Out {
  buf: Uint8Array = new Uint8Array(256);
  len: i32 = 0;

  byte(c: u8): void {
    if (this.len == this.buf.length) {
      const grown = new Uint8Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    unchecked((this.buf[this.len++] = c));
  }

  ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.byte(<u8>s.charCodeAt(i));
  }

  /** Appends the word at [start, start+len) of input as a JSON string. */
  jsonString(input: Uint8Array, start: i32, len: i32): void {
    const hex = "0123456789abcdef";
    this.byte(0x22);
    for (let i = start; i < start + len; i++) {
      const c = unchecked(input[i]);
      if (c == 0x22 || c == 0x5c) {
        this.byte(0x5c);
        this.byte(c);
      } else if (c < 0x20) {
        this.ascii("\\u00");
        this.byte(<u8>hex.charCodeAt(c >> 4));
        this.byte(<u8>hex.charCodeAt(c & 0xf));
      } else {
        this.byte(c);
      }
    }
    this.byte(0x22);
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

function wordcount(input: Uint8Array): i32 {
  const table = new Table(input);
  let words: u64 = 0;
  let lines: u64 = 0;
  const n = input.length;
  for (let i = 0; i < n; ) {
    const c = unchecked(input[i]);
    if (c == 0x0a) lines++;
    if (nexus.isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && !nexus.isSpace(unchecked(input[i]))) i++;
    words++;
    table.add(start, i - start);
  }

  // Keep the TOP best words, in rank order, by insertion.
  const top = new Array<Word>();
  for (let i = 0; i < table.slots.length; i++) {
    const w = unchecked(table.slots[i]);
    if (w === null) continue;
    if (top.length == TOP && !before(input, w, top[TOP - 1])) continue;
    if (top.length < TOP) top.push(w);
    let j = top.length - 1;
    for (; j > 0 && before(input, w, top[j - 1]); j--) top[j] = top[j - 1];
    top[j] = w;
  }

  const out = new Out();
  out.ascii('{"words":' + words.toString() + ',"lines":' + lines.toString());
  out.ascii(',"bytes":' + n.toString() + ',"top":[');
  for (let i = 0; i < top.length; i++) {
    out.ascii(i > 0 ? ",[" : "[");
    out.jsonString(input, top[i].start, top[i].len);
    out.ascii("," + top[i].count.toString() + "]");
  }
  out.ascii("]}");
  const r = nexus.output(out.bytes());
  return r < 0 ? nexus.failCode("output", r) : 0;
}
