/**
 * libnftables through FFI, run inside a test namespace (never against the host's ruleset).
 */
import assert from "node:assert/strict";
import { createTestNet, netnsUnavailable } from "../tests/netns.ts";

const skip = await netnsUnavailable();

Deno.test({
  name: "Libnftables.run() applies a batch, lists JSON, and returns nft's error text on failure",
  ignore: skip !== null,
  fn: async () => {
    const net = await createTestNet(45);
    try {
      const code = `
import { Libnftables } from "${new URL("./libnftables.ts", import.meta.url).href}";
const nft = Libnftables.open();
const results = [
  nft.run("add table inet pcap_ts_ffi_test\\nadd set inet pcap_ts_ffi_test s { type ipv4_addr; flags timeout; }\\nadd element inet pcap_ts_ffi_test s { 192.0.2.1 timeout 60s }\\n"),
  nft.run("list set inet pcap_ts_ffi_test s", { json: true }),
  nft.run("delete element inet pcap_ts_ffi_test s { 192.0.2.2 }"),
  nft.run("this is not nft"),
];
const t0 = performance.now();
for (let i = 0; i < 200; i++) nft.run("add element inet pcap_ts_ffi_test s { 192.0.2.3 timeout 5s }");
const perCall = (performance.now() - t0) / 200;
nft.close();
console.log(JSON.stringify({ results, perCall }));`;
      const out = JSON.parse(await net.must(net.nsA, [Deno.execPath(), "eval", code]));
      const [add, list, del, bad] = out.results;
      assert.deepEqual(add, { ok: true, output: "", error: "" });
      assert.equal(list.ok, true);
      const set = JSON.parse(list.output).nftables.find((x: { set?: unknown }) => x.set).set;
      assert.equal(set.elem[0].elem.val, "192.0.2.1");
      assert.equal(set.elem[0].elem.timeout, 60);
      assert.equal(del.ok, false);
      assert.match(del.error, /No such file or directory/);
      assert.equal(bad.ok, false);
      assert.match(bad.error, /syntax error/);
      console.log(`libnftables: one add element ≈ ${out.perCall.toFixed(3)} ms a call`);
    } finally {
      await net.close();
    }
  },
});
