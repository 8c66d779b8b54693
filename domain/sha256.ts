/**
 * SHA-256 (FIPS 180-4) in plain TypeScript, for the draw (domain/draw.ts): the draw runs inside
 * Temporal's workflow sandbox, where Node's `crypto` is not available, and its hashes must be
 * reproducible by anyone with any standard SHA-256. Strings are hashed as their UTF-8 bytes (a lone
 * surrogate as U+FFFD, as TextEncoder does). Incremental, so a snapshot of 10^5 subjects is hashed
 * as it is serialised, never held whole.
 */

// The first 32 bits of the fractional parts of the cube roots of the first 64 primes (FIPS 180-4 §4.2.2).
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// The first 32 bits of the fractional parts of the square roots of the first 8 primes (§5.3.3).
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

// The UTF-8 of one slice of a string (at most 3 bytes per UTF-16 unit, a slice of 8,192 units plus
// one). Shared: hashing is synchronous, and a buffer per hasher would be allocated for every stream.
const scratch = new Uint8Array(3 * 8193);
// The platform's UTF-8 encoder where there is one (Node, browsers, Temporal's workflow sandbox): the
// same bytes as `utf8` below (a lone surrogate as U+FFFD), several times faster.
const native: { encodeInto(s: string, out: Uint8Array): { written: number } } | undefined =
  typeof TextEncoder === 'function' ? (new TextEncoder() as { encodeInto(s: string, out: Uint8Array): { written: number } }) : undefined;

// The message schedule of the block being compressed (shared for the same reason).
const w = new Int32Array(64);

export class Sha256 {
  private readonly h = Int32Array.from(H0);
  private readonly block = new Uint8Array(64);
  private used = 0; // bytes waiting in `block`
  private length = 0; // bytes hashed so far (a double: exact below 2^53)
  private done = false;

  update(bytes: Uint8Array): this {
    this.length += bytes.length;
    let i = 0;
    // Fill a partial block, then compress whole blocks straight from the input.
    if (this.used > 0) {
      const take = Math.min(64 - this.used, bytes.length);
      this.block.set(bytes.subarray(0, take), this.used);
      this.used += take;
      i = take;
      if (this.used < 64) return this;
      this.compress(this.block, 0);
      this.used = 0;
    }
    for (; i + 64 <= bytes.length; i += 64) this.compress(bytes, i);
    if (i < bytes.length) {
      this.block.set(bytes.subarray(i), 0);
      this.used = bytes.length - i;
    }
    return this;
  }

  /** Adds the string's UTF-8 encoding. */
  updateString(s: string): this {
    // Encoded a slice at a time into a reusable buffer (at most 3 bytes per UTF-16 unit).
    const SLICE = 8192;
    for (let from = 0; from < s.length; from += SLICE) {
      let to = Math.min(from + SLICE, s.length);
      // Never split a surrogate pair between slices.
      const last = s.charCodeAt(to - 1);
      if (to < s.length && last >= 0xd800 && last < 0xdc00) to++;
      if (native) {
        const { written } = native.encodeInto(s.slice(from, to), scratch);
        this.update(scratch.subarray(0, written));
      } else this.update(utf8(s, from, to, scratch));
      if (to > from + SLICE) from++;
    }
    return this;
  }

  /** The digest (the hasher is spent afterwards). */
  digest(): Uint8Array {
    if (this.done) throw new Error('Sha256: digest() called twice');
    this.done = true;
    const bits = this.length * 8;
    this.push(0x80);
    while (this.used !== 56) this.push(0);
    const hi = Math.floor(bits / 2 ** 32);
    const lo = bits >>> 0;
    for (const word of [hi, lo]) for (let s = 24; s >= 0; s -= 8) this.push((word >>> s) & 0xff);
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 4; j++) out[i * 4 + j] = (this.h[i]! >>> (24 - 8 * j)) & 0xff;
    return out;
  }

  digestHex(): string {
    return toHex(this.digest());
  }

  private push(byte: number): void {
    this.block[this.used++] = byte;
    this.length++;
    if (this.used === 64) {
      this.compress(this.block, 0);
      this.used = 0;
    }
  }

  /** One 64-byte block of `b` from offset `o` (FIPS 180-4 §6.2.2). */
  private compress(b: Uint8Array, o: number): void {
    for (let i = 0; i < 16; i++) w[i] = (b[o + 4 * i]! << 24) | (b[o + 4 * i + 1]! << 16) | (b[o + 4 * i + 2]! << 8) | b[o + 4 * i + 3]!;
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!;
      const y = w[i - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    const h = this.h;
    let a = h[0]!,
      bb = h[1]!,
      c = h[2]!,
      d = h[3]!,
      e = h[4]!,
      f = h[5]!,
      g = h[6]!,
      hh = h[7]!;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i]! + w[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & bb) ^ (a & c) ^ (bb & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = bb;
      bb = a;
      a = (t1 + t2) | 0;
    }
    h[0] = (h[0]! + a) | 0;
    h[1] = (h[1]! + bb) | 0;
    h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + d) | 0;
    h[4] = (h[4]! + e) | 0;
    h[5] = (h[5]! + f) | 0;
    h[6] = (h[6]! + g) | 0;
    h[7] = (h[7]! + hh) | 0;
  }
}

/** The UTF-8 of a string as this module encodes it without a platform encoder (exported for its test). */
export const utf8Fallback = (s: string): Uint8Array => utf8(s, 0, s.length, new Uint8Array(3 * s.length)).slice();

/** UTF-8 of `s[from, to)` into `out` (a lone surrogate as U+FFFD); the bytes written. */
function utf8(s: string, from: number, to: number, out: Uint8Array): Uint8Array {
  let n = 0;
  for (let i = from; i < to; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
    } else {
      const d = i + 1 < to ? s.charCodeAt(i + 1) : 0;
      if (c >= 0xd800 && c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[n++] = 0xf0 | (cp >> 18);
        out[n++] = 0x80 | ((cp >> 12) & 63);
        out[n++] = 0x80 | ((cp >> 6) & 63);
        out[n++] = 0x80 | (cp & 63);
        continue;
      }
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd; // a lone surrogate
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
  }
  return out.subarray(0, n);
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return s;
}

/** SHA-256 of a string's UTF-8 bytes (or of the bytes given), lower-case hex. */
export function sha256Hex(input: string | Uint8Array): string {
  const h = new Sha256();
  return (typeof input === 'string' ? h.updateString(input) : h.update(input)).digestHex();
}
