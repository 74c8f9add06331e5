/**
 * Test networks: two network namespaces joined by a veth pair, made and removed by the test.
 *
 * Every test that sends traffic uses one of these (or loopback): addresses are in the private
 * test ranges 10.200.ID.0/24 and fd00:200:ID::/64, which exist only inside the namespaces.
 * Give each test file its own `id` (1 to 250) so that tests can run in parallel.
 *
 * @module
 */

/** Result of a command run to completion. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A pair of namespaces `a` (10.200.ID.1) and `b` (10.200.ID.2) joined by a veth pair. */
export interface TestNet {
  readonly id: number;
  /** Namespace names. */
  readonly nsA: string;
  readonly nsB: string;
  /** Interface names inside each namespace. */
  readonly ifA: string;
  readonly ifB: string;
  readonly ipA: string;
  readonly ipB: string;
  readonly ip6A: string;
  readonly ip6B: string;
  /** Runs argv inside a namespace and waits for it. */
  run(ns: string, argv: readonly string[], opts?: { stdin?: string }): Promise<RunResult>;
  /** Runs argv inside a namespace, throwing with its stderr when it fails. */
  must(ns: string, argv: readonly string[]): Promise<string>;
  /** Starts argv inside a namespace; the caller ends it by its pid (`child.kill()`). */
  spawn(ns: string, argv: readonly string[], opts?: Deno.CommandOptions): Deno.ChildProcess;
  /** Removes both namespaces (and so the veth pair and everything in them). */
  close(): Promise<void>;
}

/** Runs a command on the host and returns its output; never throws on a non-zero exit. */
export async function run(
  argv: readonly string[],
  opts: { stdin?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error("run() needs a command");
  const command = new Deno.Command(cmd, {
    args,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(opts.env ? { env: opts.env } : {}),
  });
  const child = command.spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function must(argv: readonly string[]): Promise<string> {
  const r = await run(argv);
  if (r.code !== 0) {
    throw new Error(`${argv.join(" ")} failed (exit ${r.code}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** Why namespace tests cannot run here, or null when they can (root and `ip` present). */
export async function netnsUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return "network namespaces need Linux";
  if (Deno.uid() !== 0) return "network namespace tests need root (run as root, as CI does)";
  try {
    const r = await run(["ip", "netns", "list"]);
    if (r.code !== 0) return `'ip netns list' failed: ${r.stderr.trim()}`;
  } catch {
    return "the 'ip' command (iproute2) is not installed";
  }
  return null;
}

/**
 * Creates namespaces `ptsID-a` and `ptsID-b`, a veth pair between them, IPv4 10.200.ID.1/.2
 * and IPv6 fd00:200:ID::1/::2 (nodad), loopback up in both. Removes leftovers of an earlier
 * run with the same id first.
 */
export async function createTestNet(id: number): Promise<TestNet> {
  if (!Number.isInteger(id) || id < 1 || id > 250) throw new Error(`test net id ${id}: use 1..250`);
  const nsA = `pts${id}-a`, nsB = `pts${id}-b`;
  const ifA = `vpts${id}a`, ifB = `vpts${id}b`;
  const ipA = `10.200.${id}.1`, ipB = `10.200.${id}.2`;
  const ip6A = `fd00:200:${id}::1`, ip6B = `fd00:200:${id}::2`;
  await run(["ip", "netns", "del", nsA]);
  await run(["ip", "netns", "del", nsB]);
  await must(["ip", "netns", "add", nsA]);
  await must(["ip", "netns", "add", nsB]);
  await must([
    "ip",
    "link",
    "add",
    ifA,
    "netns",
    nsA,
    "type",
    "veth",
    "peer",
    "name",
    ifB,
    "netns",
    nsB,
  ]);
  for (const [ns, ifc, ip4, ip6] of [[nsA, ifA, ipA, ip6A], [nsB, ifB, ipB, ip6B]] as const) {
    await must(["ip", "-n", ns, "link", "set", "lo", "up"]);
    await must(["ip", "-n", ns, "addr", "add", `${ip4}/24`, "dev", ifc]);
    await must(["ip", "-n", ns, "addr", "add", `${ip6}/64`, "dev", ifc, "nodad"]);
    await must(["ip", "-n", ns, "link", "set", ifc, "up"]);
  }
  const inNs = (ns: string, argv: readonly string[]) => ["ip", "netns", "exec", ns, ...argv];
  // A veth pair just set up drops the first IPv6 packets for a moment: wait until both
  // families answer, so that tests do not count setup losses as their own.
  for (const target of [ipB, ip6B]) {
    for (let i = 0; i < 20; i++) {
      const r = await run(inNs(nsA, ["ping", "-c1", "-W1", "-i0.2", target]));
      if (r.code === 0) break;
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  return {
    id,
    nsA,
    nsB,
    ifA,
    ifB,
    ipA,
    ipB,
    ip6A,
    ip6B,
    run: (ns, argv, opts) => run(inNs(ns, argv), opts),
    must: (ns, argv) => must(inNs(ns, argv)),
    spawn: (ns, argv, opts) => {
      const [cmd, ...args] = inNs(ns, argv);
      return new Deno.Command(cmd!, { stdout: "piped", stderr: "piped", ...opts, args }).spawn();
    },
    close: async () => {
      await run(["ip", "netns", "del", nsA]);
      await run(["ip", "netns", "del", nsB]);
    },
  };
}
