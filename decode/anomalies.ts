/**
 * Counting and log sampling of malformed frames, per `layer.problem` name.
 *
 * @module
 */
import { type DecodeProblem, problemName } from "./packet.ts";

/** Occurrences of each name that are all sampled. */
export const SAMPLE_FIRST = 25;
/** After the first {@link SAMPLE_FIRST}, one occurrence in this many is sampled. */
export const SAMPLE_EVERY = 1000;

/**
 * Counts decode problems by name and says which occurrences to log: the first 25 of each
 * name, then 1 in 1000 (the 1025th, 2025th, ...). Only malformed frames reach it, so a Map
 * keyed by name is fine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AnomalyCounter } from "./anomalies.ts";
 * const counter = new AnomalyCounter();
 * let logged = 0;
 * for (let i = 0; i < 2000; i++) if (counter.record("tcp.invalid_hlen")) logged++;
 * assert.ok(logged === 26 && counter.count("tcp.invalid_hlen") === 2000);
 * ```
 */
export class AnomalyCounter {
  #counts = new Map<string, number>();
  #total = 0;

  /** Counts one occurrence of a problem (or name); returns true when it should be logged. */
  record(problem: DecodeProblem | string): boolean {
    const name = typeof problem === "string" ? problem : problemName(problem);
    const n = (this.#counts.get(name) ?? 0) + 1;
    this.#counts.set(name, n);
    this.#total++;
    return sampled(n);
  }

  /** True when the most recent occurrence of `name` counted so far is one to log. */
  shouldSample(name: string): boolean {
    const n = this.#counts.get(name) ?? 0;
    return n > 0 && sampled(n);
  }

  /** Occurrences of `name` so far. */
  count(name: string): number {
    return this.#counts.get(name) ?? 0;
  }

  /** Occurrences of all names. */
  get total(): number {
    return this.#total;
  }

  /** Counts by name, sorted by name. */
  entries(): [string, number][] {
    return [...this.#counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

function sampled(n: number): boolean {
  return n <= SAMPLE_FIRST || (n - SAMPLE_FIRST) % SAMPLE_EVERY === 0;
}
