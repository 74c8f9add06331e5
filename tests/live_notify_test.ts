/**
 * End to end, live: when a real nmap scan is detected, the owner is notified. pcap_ts runs
 * inside namespace A with a webhook channel pointing at a real HTTP receiver on A's loopback
 * (a small python3 server started and stopped by this test), bans go to the in-memory backend
 * (the firewall is not what this test is about), and nmap scans from namespace B.
 */

import assert from "node:assert/strict";
import { createTestNet, netnsUnavailable } from "./netns.ts";
import { startPcapTs } from "./_pcap_ts_process.ts";

const NET_ID = 3;
const skip = await netnsUnavailable();
if (skip) console.log(`live_notify_test skipped: ${skip}`);

const RECEIVER = `
import http.server, sys
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[1], "ab") as f:
            f.write(body + b"\\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[2])), Hook).serve_forever()
`;

Deno.test({
  name: "a live scan notifies the owner through a real webhook receiver",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const net = await createTestNet(NET_ID);
    const dir = Deno.makeTempDirSync({ prefix: "pcap_ts_notify_" });
    const received = `${dir}/received.jsonl`;
    Deno.writeTextFileSync(`${dir}/receiver.py`, RECEIVER);
    Deno.writeTextFileSync(
      `${dir}/pcap_ts.toml`,
      `[response]\nbackend = "memory"\nstate_file = "${dir}/state.json"\n` +
        `[notify.desktop]\nenabled = false\n` +
        `[notify.webhook]\nurl = "http://127.0.0.1:9099/hook"\n`,
    );
    const receiver = net.spawn(net.nsA, ["python3", `${dir}/receiver.py`, received, "9099"], {
      stdout: "null",
      stderr: "null",
    });
    const p = startPcapTs({ net, ns: net.nsA, args: ["-i", net.ifA, "-c", `${dir}/pcap_ts.toml`] });
    try {
      await p.waitForStderr(/capturing on/, 20_000);
      const r = await net.run(net.nsB, ["nmap", "-n", "-Pn", "-T4", "-sS", "-p", "1-200", net.ipA]);
      assert.equal(r.code, 0, r.stderr);
      let posts: Record<string, unknown>[] = [];
      for (let i = 0; i < 100 && posts.length === 0; i++) {
        await new Promise((ok) => setTimeout(ok, 100));
        try {
          posts = Deno.readTextFileSync(received).split("\n").filter((l) => l !== "")
            .map((l) => JSON.parse(l));
        } catch {
          // Nothing received yet.
        }
      }
      const alert = posts.find((b) => b.event_type === "alert");
      assert.ok(alert, `the receiver got no alert; it got ${JSON.stringify(posts)}`);
      assert.equal(alert.src_ip, net.ipB);
      assert.equal((alert.alert as { category: string }).category, "scan");
      assert.match(
        (alert.alert as { signature: string }).signature,
        new RegExp(net.ipB.replaceAll(".", "\\.")),
      );
    } finally {
      await p.stop();
      receiver.kill();
      await receiver.status;
      await net.close();
    }
  },
});
