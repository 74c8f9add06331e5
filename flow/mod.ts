/**
 * Flows: the bidirectional flow table, its `[flow]` config section, and address helpers.
 *
 * @module
 */

export * from "./config.ts";
export * from "./table.ts";
export * from "./address.ts";
