/**
 * Live capture on real interfaces: a veth pair between two test namespaces (tests/netns.ts,
 * id 10), the capture running inside namespace b (ffi/_live_helper.ts under `ip netns exec`).
 */
import { assert, assertEquals, assertMatch, assertThrows } from "./_assert.ts";
import { createTestNet, netnsUnavailable, run } from "../tests/netns.ts";
import { LiveCapture, OfflineFilter, PcapError } from "./mod.ts";
import { CaptureFileReader, newFrame } from "./file_reader.ts";
import { compileFilter } from "./filter.ts";

const NET_ID = 10;
const skip = await netnsUnavailable();
const HELPER = new URL("./_live_helper.ts", import.meta.url).pathname;

function hexToBytes(hex: string): Uint8Array {
  const b = new Uint8Array(hex.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}

Deno.test({
  name: "LiveCapture sees exactly the filtered packets sent across a veth pair",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const net = await createTestNet(NET_ID);
    try {
      // Echo requests/replies and UDP to port 5555 only: not the UDP to 6666, not the ICMP
      // port-unreachable answers, not ICMPv6 or ARP.
      const filter = "(udp and dst port 5555) or (icmp and (icmp[0] == 8 or icmp[0] == 0))";
      const child = net.spawn(net.nsB, ["deno", "run", "--allow-all", HELPER, net.ifB, filter], {
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      });
      const reader = child.stdout.getReader();
      let out = "";
      while (!out.includes("ready\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      assert(out.includes("ready\n"), "capture helper did not start");
      await net.must(net.nsA, ["ping", "-c", "3", "-i", "0.2", net.ipB]);
      await net.must(net.nsA, ["ping", "-6", "-c", "2", "-i", "0.2", net.ip6B]);
      const payload = "pcap_ts live test payload 42";
      await net.must(net.nsA, [
        "bash",
        "-c",
        `printf '%s' '${payload}' > /dev/udp/${net.ipB}/5555; printf 'other' > /dev/udp/${net.ipB}/6666`,
      ]);
      await new Promise((ok) => setTimeout(ok, 300));
      await child.stdin.close();
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      const status = await child.status;
      const err = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
      assertEquals(status.code, 0, err);
      const result = JSON.parse(out.slice(out.indexOf("ready\n") + 6)) as {
        frames: { hex: string; caplen: number; len: number; linkType: number }[];
        stats: { received: number; dropped: number };
      };
      const seen = result.frames.map((f) => {
        const b = hexToBytes(f.hex);
        const v = new DataView(b.buffer);
        assertEquals(f.linkType, 1);
        assertEquals(v.getUint16(12), 0x0800, "IPv4 only");
        const ihl = (b[14]! & 0x0f) * 4;
        const proto = b[23]!;
        const src = b.subarray(26, 30).join("."), dst = b.subarray(30, 34).join(".");
        const l4 = 14 + ihl;
        if (proto === 1) return `icmp ${b[l4]} ${src}>${dst}`;
        if (proto === 17) {
          const data = new TextDecoder().decode(b.subarray(l4 + 8, 14 + v.getUint16(16)));
          return `udp ${v.getUint16(l4 + 2)} ${src}>${dst} ${data}`;
        }
        return `proto ${proto}`;
      });
      const a = net.ipA, bIp = net.ipB;
      assertEquals(seen, [
        `icmp 8 ${a}>${bIp}`,
        `icmp 0 ${bIp}>${a}`,
        `icmp 8 ${a}>${bIp}`,
        `icmp 0 ${bIp}>${a}`,
        `icmp 8 ${a}>${bIp}`,
        `icmp 0 ${bIp}>${a}`,
        `udp 5555 ${a}>${bIp} ${payload}`,
      ]);
      assertEquals(result.stats.dropped, 0);
    } finally {
      await net.close();
    }
  },
});

Deno.test({
  name: "LiveCapture.open() names the missing device and lists the available ones",
  ignore: skip !== null,
  fn() {
    const e = assertThrows(
      () => LiveCapture.open({ device: "pts-no-such0" }),
      PcapError,
    );
    assertMatch(e.message, /^No capture device named "pts-no-such0" .*; available devices: .*lo/);
    assertEquals(e.name, "PcapError");
  },
});

Deno.test({
  name: "LiveCapture.open() names a bad filter expression and libpcap's message",
  ignore: skip !== null,
  fn() {
    const e = assertThrows(
      () => LiveCapture.open({ device: "lo", filter: "tcp port nonsense-port" }),
      PcapError,
    );
    assertMatch(e.message, /^Invalid capture filter "tcp port nonsense-port": .*unknown port/);
  },
});

Deno.test("compileFilter() names a bad expression", () => {
  const e = assertThrows(() => compileFilter("udp and (", 1), PcapError);
  assertMatch(e.message, /^Invalid capture filter "udp and \(": .*syntax error/);
  const ok = compileFilter("tcp port 80", 1);
  assert(ok.instructionCount > 0);
  ok.free();
});

// OfflineFilter against tcpdump on the corpus: the same packets pass.
Deno.test({
  name: "OfflineFilter passes the same frames as tcpdump's filter on corpus captures",
  ignore: (await run(["tcpdump", "--version"]).catch(() => ({ code: 1 }))).code !== 0,
  async fn() {
    const files = [
      "/work/shared/corpus/benign/zeek/smtp.pcap",
      "/work/shared/corpus/benign/ndpi/http.pcapng",
      "/work/shared/corpus/benign/ndpi/dns.pcap",
    ].filter((p) => {
      try {
        return Deno.statSync(p).isFile;
      } catch {
        return false;
      }
    });
    assert(files.length > 0, "no corpus capture");
    for (const path of files) {
      for (const expr of ["tcp", "udp port 53", "tcp[tcpflags] & tcp-syn != 0", "not ip"]) {
        const r = CaptureFileReader.open(path);
        const filter = new OfflineFilter(expr, r.linkType);
        const f = newFrame();
        let passed = 0;
        while (r.next(f)) if (filter.matches(f)) passed++;
        filter.close();
        r.close();
        const td = await run(["tcpdump", "-nr", path, expr]);
        const want = td.stdout.split("\n").filter((l) => l !== "").length;
        assertEquals(passed, want, `${path} "${expr}"`);
      }
    }
  },
});

Deno.test({
  name: "LiveCapture.open() without privileges says to run as root or with capabilities",
  ignore: skip !== null,
  async fn() {
    const live = new URL("./live.ts", import.meta.url).pathname;
    const denoDir = Deno.makeTempDirSync();
    Deno.chmodSync(denoDir, 0o777);
    const code = `import { LiveCapture } from "${live}";
try { LiveCapture.open({ device: "lo" }); console.log("opened"); }
catch (e) { console.log(e.name + ": " + e.message); }`;
    const r = await run([
      "setpriv",
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "env",
      `DENO_DIR=${denoDir}`,
      "HOME=/tmp",
      Deno.execPath(),
      "eval",
      code,
    ]);
    Deno.removeSync(denoDir, { recursive: true });
    assertMatch(
      r.stdout,
      /^PcapError: Permission denied capturing on "lo" \(libpcap: .*\): run as root, or give the program CAP_NET_RAW and CAP_NET_ADMIN/,
    );
  },
});

Deno.test({
  name: "LiveCapture.open() on a device that is down says how to bring it up",
  ignore: skip !== null,
  async fn() {
    const net = await createTestNet(14);
    try {
      await net.must(net.nsA, ["ip", "link", "set", net.ifA, "down"]);
      const live = new URL("./live.ts", import.meta.url).pathname;
      const code = `import { LiveCapture } from "${live}";
try { LiveCapture.open({ device: "${net.ifA}" }); console.log("opened"); }
catch (e) { console.log(e.name + " " + e.code + ": " + e.message); }`;
      const out = await net.must(net.nsA, [Deno.execPath(), "eval", code]);
      assertEquals(
        out.trim(),
        `PcapError -9: Device "${net.ifA}" is down (libpcap: That device is not up): bring it up ("ip link set ${net.ifA} up") or choose another`,
      );
    } finally {
      await net.close();
    }
  },
});

Deno.test({
  name: "LiveCapture.waitReadable() on an idle capture keeps the event loop running and times out",
  ignore: skip !== null,
  async fn() {
    // Loopback with a filter nothing here matches: an idle link.
    const cap = LiveCapture.open({ device: "lo", filter: "udp port 1 and udp port 2" });
    cap.setDirection("in");
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const t0 = performance.now();
    const readable = await cap.waitReadable(300);
    const waited = performance.now() - t0;
    clearInterval(timer);
    assertEquals(readable, false);
    assert(waited >= 250, `returned after ${waited} ms`);
    assert(ticks >= 10, `only ${ticks} timer ticks while waiting: the event loop stalled`);
    assertEquals(cap.next(newFrame()), false);
    assertEquals(cap.stats(), { received: 0, dropped: 0, ifDropped: 0 });
    // close() while a wait is pending: the handle is released when the wait returns.
    const pending = cap.waitReadable(100);
    cap.close();
    assertEquals(await pending, false);
    assertEquals(await cap.waitReadable(100), false);
  },
});
