/**
 * `deno task compile` builds the single `pcap_ts` executable, and that executable runs.
 *
 * `deno compile` needs the `denort` runtime, which it downloads from the internet unless
 * `DENORT_BIN` names it or it is already in Deno's cache. Where neither is so (machines
 * without internet access, such as this project's CI), the test is skipped and says why;
 * no other test depends on a compiled executable.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;

function denoDir(): string {
  const out = new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
    .outputSync();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir as string;
}

function runtimeUnavailable(): string | null {
  const bin = Deno.env.get("DENORT_BIN");
  if (bin) {
    try {
      Deno.statSync(bin);
      return null;
    } catch {
      return `DENORT_BIN=${bin} does not exist`;
    }
  }
  const v = Deno.version.deno;
  const zip = `${denoDir()}/dl/release/v${v}/denort-x86_64-unknown-linux-gnu.zip`;
  try {
    Deno.statSync(zip);
    return null;
  } catch {
    return `the denort ${v} runtime is not available offline (set DENORT_BIN or place ${zip})`;
  }
}

const skip = runtimeUnavailable();
if (skip) console.log(`compile_test skipped: ${skip}`);

Deno.test({
  name: "deno task compile builds a pcap_ts executable that analyses a capture",
  ignore: skip !== null,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "pcap_ts_compile_" });
    const tasks = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)).tasks;
    // The task's own command line, with the output moved to the temporary folder.
    const args = (tasks.compile as string).replace(/^deno /, "").split(/\s+/)
      .map((a) => (a === "pcap_ts" ? `${dir}/pcap_ts` : a));
    const build = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT }).output();
    assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
    const version = await new Deno.Command(`${dir}/pcap_ts`, { args: ["--version"] }).output();
    assert.match(new TextDecoder().decode(version.stdout), /^pcap_ts \d+\.\d+\.\d+/);
    const demo = await new Deno.Command(`${dir}/pcap_ts`, {
      args: ["--read", `${ROOT}tests/data/demo.pcap`, "-c", `${ROOT}tests/data/demo.toml`],
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(demo.stderr);
    assert.equal(demo.code, 0, err);
    assert.match(err, /scan\.(trw|port)/);
    Deno.removeSync(dir, { recursive: true });
  },
});
