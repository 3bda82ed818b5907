// SPDX-License-Identifier: MIT
//
// One side-by-side benchmark run: a fresh espload-sim with its timing model on (real
// time) behind its RFC 2217 endpoint, driven either by the espload CLI or by esptool-js
// 0.7.0 (through tests/conformance/netport.mjs), for one operation. Prints one line of
// key=value pairs for bench/report.sh.
//
//   node bench/sidebyside.mjs --sim ESPLOAD_SIM --espload ESPLOAD --client espload|esptool-js
//        --op write|reflash|read --mode stub|rom --baud N --image FILE --addr ADDR
//        --work DIR [--read-size N] [--on-flash FILE] [--label NAME]
//
//   write    after erase_flash: the device's flash is blank, the image is written
//   reflash  the flash already holds the image at ADDR; the same image is written again
//   read     the flash holds the image at ADDR; N bytes are read back from ADDR (stub only)
//   --on-flash FILE: for reflash/read the flash holds FILE at ADDR instead of the image
//   (e.g. the image with one byte changed: a one-sector reflash)
//
// Times: op_s = device time (the simulator runs in real time, so this is wall time too)
// from the last reply before the operation's first request (so host work such as
// compressing counts) to the operation's last reply, from the simulator's transcript; session_s = wall time of the whole session (espload: the process from
// start to exit; esptool-js: from opening the port to closing it after the hard reset,
// Node's own start-up not included); js_op_s (esptool-js only) = wall time of the
// writeFlash/readFlash call measured in Node, a cross-check of op_s. Bytes = SLIP-decoded
// frame bytes each way from the transcript (the wire adds the SLIP escapes and 2 END
// bytes per frame; boot text is not counted).
//
// Exit status 0 when the run worked and the result checked out (flash file or read-back
// equal to the image), 1 otherwise (the line then has ok=0 and why=...).

import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { NetSerialPort } from "../tests/conformance/netport.mjs";

const esptoolJsUrl = new URL("../tests/conformance/node_modules/esptool-js/lib/index.js", import.meta.url);
const esptoolJsPkg = new URL("../tests/conformance/node_modules/esptool-js/package.json", import.meta.url);
const FLASH_SIZE = 4 * 1024 * 1024;
const RUN_LIMIT_MS = 400000;

function parseArgs(argv) {
  const a = { readSize: 1048576 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === "--sim") a.sim = v();
    else if (k === "--espload") a.espload = v();
    else if (k === "--client") a.client = v();
    else if (k === "--op") a.op = v();
    else if (k === "--mode") a.mode = v();
    else if (k === "--baud") a.baud = Number(v());
    else if (k === "--image") a.image = v();
    else if (k === "--addr") a.addr = Number(v());
    else if (k === "--work") a.work = v();
    else if (k === "--read-size") a.readSize = Number(v());
    else if (k === "--on-flash") a.onFlash = v();
    else if (k === "--label") a.label = v();
    else throw new Error(`unknown argument ${k}`);
  }
  for (const k of ["sim", "client", "op", "mode", "baud", "image", "work"])
    if (a[k] === undefined || Number.isNaN(a[k])) throw new Error(`--${k} is required`);
  if (a.addr === undefined || Number.isNaN(a.addr)) throw new Error("--addr is required");
  if (!["espload", "esptool-js"].includes(a.client)) throw new Error("--client is espload or esptool-js");
  if (a.client === "espload" && !a.espload) throw new Error("--espload PATH is required");
  if (!["write", "reflash", "read"].includes(a.op)) throw new Error("--op is write, reflash or read");
  if (!["stub", "rom"].includes(a.mode)) throw new Error("--mode is stub or rom");
  if (a.op === "read" && a.mode !== "stub") throw new Error("read is measured with the stub only");
  return a;
}

const md5hex = (buf) => crypto.createHash("md5").update(buf).digest("hex");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------- simulator ----------
function startSim(a, flashPath, trPath, logPath) {
  return new Promise((resolve, reject) => {
    const args = ["--chip", "esp32", "--timing", "on", "--flash", flashPath, "--transcript", trPath,
      "--rfc2217", "127.0.0.1:0"];
    const log = fs.openSync(logPath, "w");
    const child = spawn(a.sim, args, { stdio: ["ignore", "pipe", log] });
    fs.closeSync(log);
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("espload-sim did not print its ready line within 10 s"));
    }, 10000);
    child.on("exit", (code, sig) => {
      clearTimeout(timer);
      child.exitInfo = { code, sig };
      reject(new Error(`espload-sim exited early (${code ?? sig}); see ${logPath}`));
    });
    child.stdout.on("data", (b) => {
      out += b.toString();
      const m = /rfc2217:\/\/([0-9.]+):(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.removeAllListeners("data");
        child.stdout.resume();
        resolve({ child, host: m[1], port: Number(m[2]) });
      }
    });
  });
}

async function stopSim(sim) {
  if (sim.child.exitCode !== null || sim.child.signalCode !== null) return;
  const done = new Promise((r) => sim.child.once("exit", r));
  sim.child.kill("SIGTERM");
  const t = setTimeout(() => sim.child.kill("SIGKILL"), 10000);
  await done;
  clearTimeout(t);
}

// ---------- transcript ----------
const OP_START = new Set(["SPI_FLASH_MD5", "FLASH_BEGIN", "FLASH_DEFL_BEGIN", "READ_FLASH", "READ_FLASH_SLOW"]);
// replies that can end an operation (null: the stub's raw READ_FLASH data and digest frames)
const OP_END = new Set(["SPI_FLASH_MD5", "FLASH_DATA", "FLASH_DEFL_DATA", "READ_FLASH", "READ_FLASH_SLOW", null]);

function analyse(trPath) {
  const lines = fs.readFileSync(trPath, "utf8").split("\n");
  const recs = [];
  let rdPacket = null;
  let rdInflight = null;
  for (const l of lines) {
    if (!l) continue;
    try {
      if (l.includes('"dir":"in","op":"READ_FLASH"')) {
        // the request's packet size and in-flight value (data bytes 8..15, little-endian)
        const h = JSON.parse(l).hex;
        const le = (o) => Buffer.from(h.slice(2 * o, 2 * o + 8), "hex").readUInt32LE(0);
        if (h.length >= 48) {
          rdPacket = le(16);
          rdInflight = le(20);
        }
      }
      recs.push(JSON.parse(l.replace(/"hex":"[0-9a-f.]*"/, '"hex":""')));
    } catch {
      /* a line cut by the signal: ignore */
    }
  }
  const r = { rdPacket, rdInflight, tx: 0, rx: 0, frames: 0, opTx: 0, opRx: 0, opCmds: 0, opStart: null, opEnd: null, baudChanges: 0 };
  r.tReset = null; // the first EN reset the client made
  r.tSync = null; // the first SYNC reply
  r.tStub = null; // the flasher stub started
  r.tLast = 0;
  r.resets = 0; // EN resets before the first SYNC reply
  r.syncs = 0; // SYNC requests before the first SYNC reply
  r.tReset2 = null; // the second EN reset (the first attempt failed)
  let lastBaud = -1;
  recs.forEach((e, i) => {
    if (e.t_us !== undefined) r.tLast = Math.max(r.tLast, e.t_us);
    if (e.event === "EN low" && r.tSync === null) {
      r.resets++;
      if (r.tReset === null) r.tReset = e.t_us;
      else if (r.tReset2 === null) r.tReset2 = e.t_us;
    }
    if (e.dir === "in" && e.op === "SYNC" && r.tSync === null) r.syncs++;
    if (e.event === "stub running" && r.tStub === null) r.tStub = e.t_us;
    if (e.dir === "out" && e.op === "SYNC" && r.tSync === null) r.tSync = e.t_us;
    if (e.event === "baud changed") {
      r.baudChanges++;
      lastBaud = i;
    }
    if (e.len === undefined) return;
    if (e.dir === "in") r.tx += e.len;
    else r.rx += e.len;
    r.frames++;
    // the operation starts with its first flash request after the set-up (stub, baud)
    if (r.opStart === null && e.dir === "in" && OP_START.has(e.op) && i > lastBaud) r.opStart = i;
  });
  if (r.opStart === null) return r;
  // the operation begins when the set-up's last reply has gone out (so the host's own work
  // before its first request, e.g. compressing, is counted) and ends with its last reply
  // before the session's closing reset
  let prev = r.opStart;
  while (prev > 0 && !(recs[prev].len !== undefined && recs[prev].dir === "out")) prev--;
  let end = recs.length;
  for (let i = r.opStart; i < recs.length; i++) {
    if (recs[i].event === "EN low") {
      end = i;
      break;
    }
  }
  let last = null;
  for (let i = r.opStart; i < end; i++) {
    const e = recs[i];
    if (e.len === undefined) continue;
    if (e.dir === "out" && OP_END.has(e.op)) last = i;
  }
  for (let i = r.opStart; last !== null && i <= last; i++) {
    const e = recs[i];
    if (e.len === undefined) continue;
    if (e.dir === "in") {
      r.opTx += e.len;
      if (e.op !== null) r.opCmds++;
    } else r.opRx += e.len;
  }
  // reads: the median time from a data packet leaving the device to the host's ACK arriving
  const gaps = [];
  let lastData = null;
  for (let i = r.opStart; last !== null && i <= last; i++) {
    const e = recs[i];
    if (e.len === undefined || e.op !== null) continue;
    if (e.dir === "out" && e.len > 16) lastData = e.t_us;
    else if (e.dir === "in" && e.len === 4 && lastData !== null) {
      gaps.push(e.t_us - lastData);
      lastData = null;
    }
  }
  gaps.sort((x, y) => x - y);
  r.ackMs = gaps.length ? gaps[Math.floor(gaps.length / 2)] / 1000 : null;
  r.tStart = recs[prev].t_us;
  r.tEnd = last === null ? r.tStart : recs[last].t_us;
  return r;
}

// ---------- clients ----------
function runEspload(a, host, port, outFile) {
  const args = ["--chip", "esp32", "--port", `rfc2217://${host}:${port}`, "--baud", String(a.baud)];
  if (a.mode === "rom") args.push("--no-stub");
  if (a.op === "read") args.push("read_flash", `0x${a.addr.toString(16)}`, String(a.readSize), outFile);
  else args.push("write_flash", "-z", `0x${a.addr.toString(16)}`, a.image);
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(a.espload, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b) => (out += b.toString()));
    child.stderr.on("data", (b) => (out += b.toString()));
    const kill = setTimeout(() => child.kill("SIGKILL"), RUN_LIMIT_MS);
    child.on("close", (code, sig) => {
      clearTimeout(kill);
      resolve({ session: (performance.now() - t0) / 1000, code, sig, out, args });
    });
  });
}

async function runEsptoolJs(a, host, port, image) {
  const { ESPLoader, Transport } = await import(esptoolJsUrl);
  const lines = [];
  let cur = "";
  const terminal = {
    clean() {},
    writeLine(s) {
      lines.push(cur + s);
      cur = "";
    },
    write(s) {
      cur += s;
    },
  };
  const t0 = performance.now();
  const netport = new NetSerialPort({ host, port, mode: "rfc2217", log: null });
  const transport = new Transport(netport, false);
  const loader = new ESPLoader({ transport, baudrate: a.baud, romBaudrate: 115200, terminal, debugLogging: false });
  const res = { lines };
  try {
    if (a.mode === "stub") {
      await loader.main("default_reset");
    } else {
      // esptool-js talks to the ESP32 ROM only with what esptool does and it does not:
      // SPI_ATTACH and 1 KiB blocks (docs/CONFORMANCE.md, D11 and E2)
      await loader.detectChip("default_reset");
      await loader.flashSpiAttach(0);
      loader.FLASH_WRITE_SIZE = 0x400;
      if (a.baud !== 115200) await loader.changeBaud();
      // a failed baud change makes esptool-js reconnect and upload its stub: not a ROM run
      if (loader.IS_STUB || !lines.includes("Changed") || lines.some((l) => /stopped responding/.test(l)))
        if (a.baud !== 115200) throw new Error(`ROM baud change to ${a.baud} failed: ${lines.filter((l) => /stopped responding/.test(l)).join(" ")}`);
    }
    const opts = {
      fileArray: [{ data: image, address: a.addr }],
      flashMode: "keep",
      flashFreq: "keep",
      flashSize: "keep",
      eraseAll: false,
      compress: true,
    };
    const o0 = performance.now();
    if (a.op === "read") {
      res.readBack = await loader.readFlash(a.addr, a.readSize);
    } else if (a.mode === "stub") {
      await loader.writeFlash({ ...opts, calculateMD5Hash: md5hex });
      res.verified = lines.includes("Hash of data verified.");
    } else {
      // esptool-js hex-encodes the ROM's 32 ASCII digits (E1): verify by decoding them
      await loader.writeFlash(opts);
      const got = Buffer.from(await loader.flashMd5sum(a.addr, image.length), "hex").toString("latin1");
      res.verified = got === md5hex(image);
    }
    res.jsOp = (performance.now() - o0) / 1000;
    await loader.after("hard_reset");
  } catch (e) {
    res.error = (e && e.message) || String(e);
  } finally {
    try {
      await transport.disconnect();
    } catch {
      /* closing a failed port */
    }
  }
  res.session = (performance.now() - t0) / 1000;
  return res;
}

// ---------- main ----------
async function main() {
  let a;
  try {
    a = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`sidebyside: ${e.message}`);
    process.exit(2);
  }
  const image = new Uint8Array(fs.readFileSync(a.image));
  const label = a.label || a.op;
  const tag = `${a.client}-${label}-${a.mode}-${a.baud}`;
  const dir = path.join(a.work, tag);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const flashPath = path.join(dir, "flash.bin");
  const trPath = path.join(dir, "transcript.jsonl");
  const logPath = path.join(dir, "sim.log");
  const readPath = path.join(dir, "read.bin");
  if (a.op !== "write") {
    const f = Buffer.alloc(FLASH_SIZE, 0xff);
    (a.onFlash ? fs.readFileSync(a.onFlash) : Buffer.from(image)).copy(f, a.addr);
    fs.writeFileSync(flashPath, f);
  }
  const sim = await startSim(a, flashPath, trPath, logPath);
  let r;
  let why = "";
  if (a.client === "espload") {
    r = await runEspload(a, sim.host, sim.port, readPath);
    fs.writeFileSync(path.join(dir, "client.log"), `$ espload ${r.args.join(" ")}\n${r.out}`);
    if (r.code !== 0) why = `espload exit ${r.code ?? r.sig}`;
    else if (a.op !== "read" && !/Hash of data verified\./.test(r.out)) why = "no verified hash";
    if (a.op === "read" && !why) r.readBack = fs.readFileSync(readPath);
    const m = /Wrote \d+ bytes \((\d+) compressed\)/.exec(r.out);
    r.compressed = m ? Number(m[1]) : 0;
  } else {
    r = await runEsptoolJs(a, sim.host, sim.port, image);
    fs.writeFileSync(path.join(dir, "client.log"), r.lines.join("\n") + "\n");
    if (r.error) why = `esptool-js: ${r.error}`;
    else if (a.op !== "read" && !r.verified) why = "no verified hash";
    const m = r.lines.map((l) => /Wrote \d+ bytes \((\d+) compressed\)/.exec(l)).find((x) => x);
    r.compressed = m ? Number(m[1]) : 0;
  }
  await stopSim(sim);
  if (!why && a.op === "read") {
    const want = Buffer.from(image).subarray(0, a.readSize);
    const got = Buffer.from(r.readBack);
    const exp = Buffer.alloc(a.readSize, 0xff);
    want.copy(exp);
    if (!got.equals(exp)) why = "read-back differs from the flash contents";
  }
  if (!why && a.op !== "read") {
    const f = fs.readFileSync(flashPath);
    if (!f.subarray(a.addr, a.addr + image.length).equals(Buffer.from(image))) why = "flash file does not hold the image";
  }
  const t = analyse(trPath);
  const opS = t.opStart === null ? 0 : (t.tEnd - t.tStart) / 1e6;
  const kv = {
    label: `side:${label}`,
    client: a.client,
    mode: a.mode,
    baud: a.baud,
    op: a.op,
    ok: why ? 0 : 1,
    op_s: opS.toFixed(3),
    session_s: r.session.toFixed(3),
    js_op_s: r.jsOp !== undefined ? r.jsOp.toFixed(3) : "-",
    op_tx_bytes: t.opTx,
    op_rx_bytes: t.opRx,
    op_commands: t.opCmds,
    session_tx_bytes: t.tx,
    session_rx_bytes: t.rx,
    compressed: r.compressed,
    // device-side phases, seconds from the first reset: SYNC answered, stub running, op start
    sync_s: t.tSync !== null && t.tReset !== null ? ((t.tSync - t.tReset) / 1e6).toFixed(3) : "-",
    stub_s: t.tStub !== null && t.tReset !== null ? ((t.tStub - t.tReset) / 1e6).toFixed(3) : "-",
    setup_s: t.opStart !== null && t.tReset !== null ? ((t.tStart - t.tReset) / 1e6).toFixed(3) : "-",
    read_packet: t.rdPacket ?? "-",
    read_inflight: t.rdInflight ?? "-",
    read_ack_ms: t.ackMs !== null && t.ackMs !== undefined ? t.ackMs.toFixed(2) : "-",
    resets: t.resets,
    syncs: t.syncs,
    // time lost in failed connection attempts: first reset to the reset that worked
    failed_attempts_s: t.tReset2 !== null ? ((t.tReset2 - t.tReset) / 1e6).toFixed(3) : "0",
  };
  if (why) kv.why = why.replace(/\s+/g, "_");
  console.log(Object.entries(kv).map(([k, v]) => `${k}=${v}`).join(" "));
  if (!why) fs.rmSync(path.join(dir, "flash.bin"), { force: true });
  process.exit(why ? 1 : 0);
}

setTimeout(() => {
  console.error("sidebyside: the run took more than 450 s");
  process.exit(1);
}, 450000).unref();

if (process.argv.includes("--esptool-js-version")) {
  console.log(JSON.parse(fs.readFileSync(esptoolJsPkg, "utf8")).version);
  process.exit(0);
}
main().catch((e) => {
  console.error(`sidebyside: ${e.stack || e}`);
  process.exit(1);
});
