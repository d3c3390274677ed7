// Conversions between the types a caller passes (string, Uint8Array,
// ArrayBuffer, Array<u8>) and the bytes handed to the host.

/**
 * Returns data as bytes: a string is encoded as UTF-8, a Uint8Array is
 * returned as it is, an ArrayBuffer or Array<u8> is copied. Checked at
 * compile time: any other type is a compile error.
 */
export function toBytes<T>(data: T): Uint8Array {
  if (isString<T>()) {
    return Uint8Array.wrap(String.UTF8.encode(changetype<string>(data)));
  } else if (data instanceof Uint8Array) {
    return changetype<Uint8Array>(data);
  } else if (data instanceof ArrayBuffer) {
    return Uint8Array.wrap(changetype<ArrayBuffer>(data).slice(0));
  } else if (data instanceof Array<u8>) {
    const a = changetype<Array<u8>>(data);
    const out = new Uint8Array(a.length);
    for (let i = 0; i < a.length; i++) unchecked((out[i] = a[i]));
    return out;
  } else {
    ERROR("nexus: want a string, Uint8Array, ArrayBuffer or Array<u8>");
    return new Uint8Array(0);
  }
}

/** Decodes bytes as UTF-8 (invalid sequences become U+FFFD). */
export function utf8(bytes: Uint8Array): string {
  return String.UTF8.decodeUnsafe(bytes.dataStart, bytes.length);
}

/** Reports whether byte c is ASCII whitespace (space, \t, \n, \v, \f, \r), as C's isspace. */
export function isSpace(c: u8): bool {
  return c == 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Returns the part of bytes between leading and trailing ASCII whitespace (a view, not a copy). */
export function trim(bytes: Uint8Array): Uint8Array {
  let start = 0;
  let end = bytes.length;
  while (start < end && isSpace(unchecked(bytes[start]))) start++;
  while (end > start && isSpace(unchecked(bytes[end - 1]))) end--;
  return bytes.subarray(start, end);
}
