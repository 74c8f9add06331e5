/**
 * TCP sequence-number arithmetic modulo 2^32 (RFC 1982 serial number arithmetic).
 * Nothing else in pcap_ts compares raw sequence numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seqAdd, seqLt } from "./seq.ts";
 * assert.ok(seqLt(0xfffffff0, 5)); // 5 is 21 bytes after 0xfffffff0
 * assert.equal(seqAdd(0xffffffff, 2), 1);
 * ```
 *
 * @module
 */

/** `b - a` as a signed 32-bit distance: positive when `b` is after `a`. */
export function seqDiff(b: number, a: number): number {
  return (b - a) | 0;
}

/** True when `a` comes before `b` (mod 2^32). */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** True when `a` comes before `b` or equals it (mod 2^32). */
export function seqLeq(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** True when `a` comes after `b` (mod 2^32). */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** True when `a` comes after `b` or equals it (mod 2^32). */
export function seqGeq(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** `a + n` mod 2^32, as an unsigned number. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
