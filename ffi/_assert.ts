/**
 * Small test assertions for ffi/ tests (JSR's @std/assert is unreachable here), built on
 * `node:assert/strict`.
 *
 * @module
 */

import nodeAssert from "node:assert/strict";

/** Asserts that `cond` is truthy. */
export function assert(cond: unknown, message = "assertion failed"): asserts cond {
  nodeAssert.ok(cond, message);
}

/** Asserts deep strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Asserts that `text` matches `re`. */
export function assertMatch(text: string, re: RegExp): void {
  nodeAssert.match(text, re);
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E extends Error> = new (...args: any[]) => E;

/** Asserts that `fn` throws an instance of `cls`, and returns the error. */
export function assertThrows<E extends Error>(fn: () => unknown, cls: ErrorClass<E>): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof cls) return e;
    throw new Error(`expected ${cls.name}, got ${e}`);
  }
  throw new Error(`expected ${cls.name} to be thrown, nothing was`);
}

/** Asserts that `fn` rejects with an instance of `cls`, and returns the error. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  cls: ErrorClass<E>,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof cls) return e;
    throw new Error(`expected ${cls.name}, got ${e}`);
  }
  throw new Error(`expected ${cls.name} to be thrown, nothing was`);
}
