/**
 * The page-cache state of the benchmark capture, which moves every "read" row.
 *
 * Linux (6.18 here, ext4) caches a file read from disk, or written in large pieces, in large
 * folios; a file written in 4 KiB pieces (as `tcpdump -w` writes, through stdio) stays cached
 * in 4 KiB pages until it is evicted. Copying out of 4 KiB pages costs the reader about
 * 35 ns more per 365-byte frame here (the CPU's prefetchers stop at every page boundary);
 * tcpdump about 15 ns more. So that a run measures a known state, not whatever the file's
 * history left: {@link evictFromPageCache} before the warm-up read gives "a file read from
 * disk", and {@link copyIn4KiBWrites} makes a copy in the other state.
 *
 * @module
 */

import { run } from "../tests/netns.ts";

/**
 * Drops the file's pages from the page cache (`posix_fadvise(POSIX_FADV_DONTNEED)`, through
 * `dd iflag=nocache count=0`); the next read brings them back from disk. Returns the
 * failure, or null.
 */
export async function evictFromPageCache(path: string): Promise<string | null> {
  const r = await run(["dd", `if=${path}`, "iflag=nocache", "count=0", "status=none"])
    .catch((e) => ({ code: -1, stderr: String(e) }));
  return r.code === 0 ? null : `dd iflag=nocache failed: ${r.stderr.trim()}`;
}

/** Bytes per write of {@link copyIn4KiBWrites}: glibc stdio's buffer for a file on ext4. */
export const SMALL_WRITE_BYTES = 4096;

/**
 * Copies `src` to `dst` in writes of {@link SMALL_WRITE_BYTES}, as `tcpdump -w` writes a
 * capture; `dst` is then cached in 4 KiB pages (until evicted: read back, it is not).
 */
export function copyIn4KiBWrites(src: string, dst: string): void {
  const from = Deno.openSync(src, { read: true });
  const to = Deno.openSync(dst, { write: true, create: true, truncate: true });
  try {
    const big = new Uint8Array(1 << 20);
    for (;;) {
      const n = from.readSync(big);
      if (n === null || n === 0) break;
      for (let o = 0; o < n; o += SMALL_WRITE_BYTES) {
        const piece = big.subarray(o, Math.min(n, o + SMALL_WRITE_BYTES));
        let done = 0;
        while (done < piece.length) done += to.writeSync(piece.subarray(done));
      }
    }
  } finally {
    from.close();
    to.close();
  }
}
