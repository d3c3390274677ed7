// SHA-256 (FIPS 180-4) in plain AssemblyScript, with no dependencies.

/** The digest size in bytes. */
export const SIZE = 32;

// @ts-ignore: decorator
@lazy const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/** A running SHA-256 computation. */
export class Hash {
  private h: StaticArray<u32> = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ];
  private w: StaticArray<u32> = new StaticArray<u32>(64);
  private block: StaticArray<u8> = new StaticArray<u8>(64);
  private buffered: i32 = 0;
  private total: u64 = 0;

  /** Adds len bytes at p to the message. */
  update(p: usize, len: i32): void {
    this.total += <u64>len;
    const block = changetype<usize>(this.block);
    if (this.buffered > 0) {
      const n = min(64 - this.buffered, len);
      memory.copy(block + <usize>this.buffered, p, n);
      this.buffered += n;
      p += n;
      len -= n;
      if (this.buffered < 64) return;
      this.compress(block);
      this.buffered = 0;
    }
    for (; len >= 64; len -= 64, p += 64) this.compress(p);
    memory.copy(block, p, len);
    this.buffered = len;
  }

  /** Pads the message and returns the digest. */
  final(): Uint8Array {
    const bits = this.total * 8;
    const block = changetype<usize>(this.block);
    store<u8>(block + <usize>this.buffered, 0x80);
    this.buffered++;
    if (this.buffered > 56) {
      memory.fill(block + <usize>this.buffered, 0, 64 - this.buffered);
      this.compress(block);
      this.buffered = 0;
    }
    memory.fill(block + <usize>this.buffered, 0, 56 - this.buffered);
    store<u64>(block, bswap<u64>(bits), 56);
    this.compress(block);
    const sum = new Uint8Array(SIZE);
    for (let i = 0; i < 8; i++) store<u32>(sum.dataStart + <usize>(4 * i), bswap<u32>(unchecked(this.h[i])));
    return sum;
  }

  /** Processes the 64-byte block at p. */
  private compress(p: usize): void {
    const w = this.w;
    for (let i = 0; i < 16; i++) unchecked((w[i] = bswap<u32>(load<u32>(p + <usize>(4 * i)))));
    for (let i = 16; i < 64; i++) {
      const w15 = unchecked(w[i - 15]);
      const w2 = unchecked(w[i - 2]);
      const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
      unchecked((w[i] = unchecked(w[i - 16]) + s0 + unchecked(w[i - 7]) + s1));
    }
    const h = this.h;
    let a = unchecked(h[0]), b = unchecked(h[1]), c = unchecked(h[2]), d = unchecked(h[3]);
    let e = unchecked(h[4]), f = unchecked(h[5]), g = unchecked(h[6]), hh = unchecked(h[7]);
    for (let i = 0; i < 64; i++) {
      const s1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = hh + s1 + ch + unchecked(K[i]) + unchecked(w[i]);
      const s0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = s0 + maj;
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    unchecked((h[0] += a));
    unchecked((h[1] += b));
    unchecked((h[2] += c));
    unchecked((h[3] += d));
    unchecked((h[4] += e));
    unchecked((h[5] += f));
    unchecked((h[6] += g));
    unchecked((h[7] += hh));
  }
}
