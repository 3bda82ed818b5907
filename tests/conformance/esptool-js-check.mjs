// SPDX-License-Identifier: MIT
//
// Drives the virtual ESP32 (espload-sim) with esptool-js, Espressif's JavaScript
// flasher, through a Web Serial style port over the simulator's RFC 2217 endpoint
// (or its raw TCP endpoint with --mode raw, which cannot reset the chip).
//
// Each case starts its own simulator on a free loopback port with a fresh flash
// file, runs esptool-js, stops the simulator (which saves the flash file) and
// compares the file with what was written.
//
//   node esptool-js-check.mjs --sim PATH [--case stub|rom|all] [--mode rfc2217|raw]
//                             [--baud N] [--trace] [--keep DIR] [--sim-arg ARG]...
//                             [--rom-as-is]   (rom case: esptool-js defaults, i.e. no
//                                              SPI_ATTACH and 16 KiB blocks)
//   node esptool-js-check.mjs --external HOST:PORT [--case ...]
//                             (a device already in download mode behind raw TCP,
//                              e.g. the ESP32 ROM under QEMU; no reset, no file check)
//
// Exit status 0 when every check passed, 1 otherwise.

import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ESPLoader, Transport } from "esptool-js";
import { NetSerialPort } from "./netport.mjs";

const MB = 1024 * 1024;

// ---------- arguments ----------
function parseArgs(argv) {
  const a = { sim: null, cases: ["stub", "rom"], mode: "rfc2217", baud: 921600, trace: false, keep: null, simArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === "--sim") a.sim = v();
    else if (k === "--case") {
      const c = v();
      a.cases = c === "all" ? ["stub", "rom"] : c.split(",");
    } else if (k === "--mode") a.mode = v();
    else if (k === "--baud") a.baud = Number(v());
    else if (k === "--trace") a.trace = true;
    else if (k === "--keep") a.keep = v();
    else if (k === "--sim-arg") a.simArgs.push(v());
    else if (k === "--external") a.external = v(); // HOST:PORT of a device already running (raw mode)
    else if (k === "--rom-as-is") a.romAsIs = true; // no SPI_ATTACH, 16 KiB ROM blocks
    else throw new Error(`unknown argument ${k}`);
  }
  if (!a.sim && !a.external) throw new Error("--sim PATH (or --external HOST:PORT) is required");
  if (a.external) a.mode = "raw";
  if (!["rfc2217", "raw"].includes(a.mode)) throw new Error("--mode is rfc2217 or raw");
  for (const c of a.cases) if (!["stub", "rom"].includes(c)) throw new Error(`unknown case ${c}`);
  return a;
}

// ---------- results ----------
let failures = 0;
let passes = 0;
let todos = 0;
// todo: a known difference from the real chip (docs/CONFORMANCE.md, "Differences found"):
// reported on every run, not counted as a failure until the device is fixed (TAP TODO).
function check(cond, what, detail = "", todo = null) {
  if (todo) {
    todos++;
    if (cond) console.log(`ok - ${what} # TODO ${todo} now passes: drop the TODO mark`);
    else console.log(`not ok - ${what}${detail ? `: ${detail}` : ""} # TODO ${todo}`);
    return cond;
  }
  if (cond) {
    passes++;
    console.log(`ok - ${what}`);
  } else {
    failures++;
    console.log(`not ok - ${what}${detail ? `: ${detail}` : ""}`);
  }
  return cond;
}

const md5hex = (buf) => crypto.createHash("md5").update(buf).digest("hex");

// Deterministic test image: a mix of incompressible, patterned and erased-looking
// 4 KiB pieces so that deflate has something to do and 0xC0/0xDB/0xFF bytes abound.
function makeImage(size, seed) {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  const rnd = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x & 0xff;
  };
  for (let off = 0; off < size; off += 4096) {
    const kind = (off >> 12) % 4;
    const end = Math.min(size, off + 4096);
    for (let i = off; i < end; i++) {
      if (kind === 0 || kind === 3) out[i] = rnd();
      else if (kind === 1) out[i] = [0xc0, 0xdb, 0xdc, 0xdd, 0xff, 0x00][i % 6];
      else out[i] = i % 257 === 0 ? rnd() : 0xff;
    }
  }
  return out;
}

function firstDiff(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function hex(bytes) {
  return Buffer.from(bytes).toString("hex");
}

// ---------- simulator process ----------
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

// Is something listening on 127.0.0.1:port? Reads /proc/net/tcp so that no probe
// connection reaches the simulator (a connection is a session to it).
function listening(port) {
  try {
    const lines = fs.readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1);
    const want = port.toString(16).toUpperCase().padStart(4, "0");
    return lines.some((l) => {
      const f = l.trim().split(/\s+/);
      return f.length > 3 && f[1].endsWith(`:${want}`) && f[3] === "0A";
    });
  } catch {
    return null; // not Linux: caller falls back to a delay
  }
}

// simulators still running when this process exits are killed
const children = new Set();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startSim(opts, flashPath, logPath) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const endpoint = opts.mode === "rfc2217" ? "--rfc2217" : "--tcp";
    const args = ["--chip", "esp32", "--flash", flashPath, ...opts.simArgs, endpoint, `127.0.0.1:${port}`];
    const log = fs.openSync(logPath, "a");
    fs.writeSync(log, `$ ${opts.sim} ${args.join(" ")}\n`);
    const child = spawn(opts.sim, args, { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    children.add(child);
    let exited = null;
    child.on("exit", (code, sig) => {
      exited = { code, sig };
      children.delete(child);
    });
    const t0 = Date.now();
    while (Date.now() - t0 < 10000 && !exited) {
      const l = listening(port);
      if (l === true) return { child, port, exited: () => exited };
      if (l === null) {
        await sleep(1000);
        return { child, port, exited: () => exited };
      }
      await sleep(50);
    }
    if (!exited) child.kill("SIGKILL");
    console.log(`# simulator did not listen on port ${port} (attempt ${attempt + 1}); log: ${logPath}`);
  }
  throw new Error(`espload-sim did not start; see ${logPath}`);
}

// Stops the simulator with SIGTERM (it saves flash on the way out); SIGKILL after 10 s.
async function stopSim(sim) {
  if (sim.exited()) return sim.exited();
  const done = new Promise((resolve) => sim.child.once("exit", (code, sig) => resolve({ code, sig })));
  sim.child.kill("SIGTERM");
  const timer = setTimeout(() => sim.child.kill("SIGKILL"), 10000);
  const r = await done;
  clearTimeout(timer);
  return r;
}

// ---------- esptool-js plumbing ----------
function makeTerminal(lines) {
  let cur = "";
  return {
    clean() {},
    writeLine(s) {
      lines.push(cur + s);
      console.log(`  | ${cur}${s}`);
      cur = "";
    },
    write(s) {
      cur += s;
    },
  };
}

function makeLoader(opts, tcpPort, baudrate, lines) {
  const port = new NetSerialPort({
    host: opts.host || "127.0.0.1",
    port: tcpPort,
    mode: opts.mode,
    log: (m) => console.log(`  # ${m}`),
  });
  const transport = new Transport(port, opts.trace);
  const loader = new ESPLoader({
    transport,
    baudrate,
    romBaudrate: 115200,
    terminal: makeTerminal(lines),
    debugLogging: opts.trace,
  });
  return { port, transport, loader };
}

async function closeLoader(t) {
  try {
    await t.transport.disconnect();
  } catch (e) {
    console.log(`  # disconnect: ${e.message}`);
  }
}

// ---------- case 1: reset, stub, baud change, compressed 1 MB write, MD5, read back ----------
async function caseStub(opts, simPort, lines) {
  const IMG_ADDR = 0x10000;
  const img = makeImage(MB, 0x1234567);
  const SMALL_ADDR = 0x200000;
  const small = makeImage(20001, 0x55aa); // esptool-js pads it to 20004 with 0xFF
  const t = makeLoader(opts, simPort, opts.baud, lines);
  const { loader, port } = t;
  const before = opts.mode === "rfc2217" ? "default_reset" : "no_reset";
  try {
    const desc = await loader.main(before);
    check(loader.chip && loader.chip.CHIP_NAME === "ESP32", "stub: chip detected as ESP32", loader.chip && loader.chip.CHIP_NAME);
    check(/^ESP32-/.test(desc), "stub: chip description read from eFuses", desc);
    check(loader.IS_STUB === true, "stub: esptool-js's own flasher stub is running");
    check(lines.some((l) => l.startsWith("MAC: ")), "stub: MAC read");
    if (opts.mode === "rfc2217") {
      check(port.stats.setControl.length >= 6, "stub: DTR/RTS reset sequence sent over RFC 2217", port.stats.setControl.join(" "));
      check(port.baudRate === opts.baud, `stub: host side now at ${opts.baud} baud via RFC 2217 SET-BAUDRATE`, String(port.baudRate));
    }
    check(!lines.some((l) => /stopped responding|Continuing at/.test(l)), "stub: device answers after CHANGE_BAUDRATE");
    const flashId = await loader.readFlashId();
    check(flashId !== 0 && flashId !== 0xffffff, "stub: flash RDID answers", `0x${flashId.toString(16)}`);

    await loader.writeFlash({
      fileArray: [{ data: img, address: IMG_ADDR }],
      flashMode: "keep",
      flashFreq: "keep",
      flashSize: "keep",
      eraseAll: false,
      compress: true,
      calculateMD5Hash: md5hex,
    });
    check(lines.some((l) => l === "Hash of data verified."), "stub: write_flash compressed 1 MB, esptool-js verified MD5");
    const md5 = await loader.flashMd5sum(IMG_ADDR, img.length);
    check(md5 === md5hex(img), "stub: SPI_FLASH_MD5 over the image", `${md5} vs ${md5hex(img)}`);
    const back = await loader.readFlash(IMG_ADDR, img.length);
    const d = firstDiff(back, img);
    check(d === -1, "stub: READ_FLASH 1 MB equals the image", d >= 0 ? `first difference at +0x${d.toString(16)} (len ${back.length})` : "");
    const odd = await loader.readFlash(IMG_ADDR + 4093, 5003);
    check(firstDiff(odd, img.subarray(4093, 4093 + 5003)) === -1, "stub: READ_FLASH at an unaligned offset/length");
    await loader.writeFlash({
      fileArray: [{ data: small, address: SMALL_ADDR }],
      flashMode: "keep",
      flashFreq: "keep",
      flashSize: "keep",
      eraseAll: false,
      compress: false,
      calculateMD5Hash: md5hex,
    });
    check(lines.filter((l) => l === "Hash of data verified.").length === 2, "stub: uncompressed write of 20001 bytes, MD5 verified");
    const ff = await loader.flashMd5sum(IMG_ADDR + img.length, 0x10000);
    check(ff === md5hex(new Uint8Array(0x10000).fill(0xff)), "stub: flash after the image is still erased", ff);
    if (opts.mode === "rfc2217") await loader.after("hard_reset");
  } finally {
    await closeLoader(t);
  }
  return [
    { addr: IMG_ADDR, data: img },
    { addr: SMALL_ADDR, data: small },
  ];
}

// ---------- case 2: ROM loader only (no stub) ----------
async function caseRom(opts, simPort, lines) {
  const A_ADDR = 0x100000;
  const B_ADDR = 0x180000;
  const C_ADDR = 0x1c0000;
  const imgA = makeImage(100000, 0xbeef); // not a multiple of the 1 KiB ROM block
  const imgB = makeImage(5000, 0xcafe);
  const t = makeLoader(opts, simPort, 115200, lines);
  const { loader } = t;
  const before = opts.mode === "rfc2217" ? "default_reset" : "no_reset";
  try {
    await loader.detectChip(before);
    check(loader.chip && loader.chip.CHIP_NAME === "ESP32", "rom: chip detected as ESP32 (GET_SECURITY_INFO refused, magic register read)");
    check(loader.IS_STUB === false, "rom: talking to the ROM loader");
    const magic = (await loader.readReg(loader.CHIP_DETECT_MAGIC_REG_ADDR)) >>> 0;
    check(magic === 0x00f01d83, "rom: READ_REG 0x40001000 = 0x00f01d83", `0x${magic.toString(16)}`);
    const desc = await loader.chip.getChipDescription(loader);
    check(/^ESP32-/.test(desc), "rom: chip description", desc);
    // esptool-js never attaches flash itself; esptool does so before any ROM flash
    // access, and so do we. esptool's ROM write block is 1 KiB (esptool-js keeps 16 KiB).
    if (!opts.romAsIs) {
      await loader.flashSpiAttach(0);
      loader.FLASH_WRITE_SIZE = 0x400;
    }
    // esptool-js 0.7.0 cannot check MD5 against a ROM: flashMd5sum() hex-encodes the
    // ROM's reply, which is already 32 ASCII hex digits (see docs/CONFORMANCE.md), so
    // writeFlash gets no calculateMD5Hash here and the reply is decoded below.
    const romMd5 = async (addr, len) => Buffer.from(await loader.flashMd5sum(addr, len), "hex").toString("latin1");
    await loader.writeFlash({
      fileArray: [{ data: imgA, address: A_ADDR }],
      flashMode: "keep",
      flashFreq: "keep",
      flashSize: "keep",
      eraseAll: false,
      compress: true,
    });
    let md5 = await romMd5(A_ADDR, imgA.length);
    check(md5 === md5hex(imgA), "rom: compressed write, SPI_FLASH_MD5 (32 ASCII hex digits) matches", md5);
    await loader.writeFlash({
      fileArray: [{ data: imgB, address: B_ADDR }],
      flashMode: "keep",
      flashFreq: "keep",
      flashSize: "keep",
      eraseAll: false,
      compress: true,
    });
    md5 = await romMd5(B_ADDR, imgB.length);
    check(md5 === md5hex(imgB), "rom: second compressed write, SPI_FLASH_MD5 matches", md5);
    // Uncompressed: esptool-js sends a 5-word FLASH_BEGIN, which the ESP32 mask ROM
    // refuses with status 1 / 0x05 (seen under QEMU; esptool never sends it to this ROM).
    let unc = "accepted";
    try {
      await loader.writeFlash({
        fileArray: [{ data: imgB.subarray(0, 1024), address: C_ADDR }],
        flashMode: "keep",
        flashFreq: "keep",
        flashSize: "keep",
        eraseAll: false,
        compress: false,
      });
    } catch (e) {
      unc = e.message || String(e);
    }
    check(/status 1,5/.test(unc), "rom: 5-word FLASH_BEGIN (esptool-js uncompressed write) refused with 01 05", unc);
    const raw = await loader.flashMd5sum(A_ADDR, 4096);
    check(raw === Buffer.from(md5hex(imgA.subarray(0, 4096)), "latin1").toString("hex"), "rom: esptool-js flashMd5sum() returns the ROM's ASCII digits hex-encoded (known esptool-js behaviour)", raw);
    // READ_FLASH (0xD2) is a stub command: the ROM must refuse it and stay usable
    let refused = null;
    try {
      await loader.readFlash(A_ADDR, 4096);
      refused = "accepted";
    } catch (e) {
      refused = e.message || String(e);
    }
    check(refused !== "accepted", "rom: READ_FLASH refused by the ROM", refused);
    console.log(`  # READ_FLASH on the ROM: ${refused}`);
    const again = (await loader.readReg(loader.CHIP_DETECT_MAGIC_REG_ADDR)) >>> 0;
    check(again === 0x00f01d83, "rom: loader still answers after the refused command", `0x${again.toString(16)}`);
    if (opts.mode === "rfc2217") await loader.after("hard_reset");
  } finally {
    await closeLoader(t);
  }
  // imgA is padded to 4 bytes with 0xFF by esptool-js; the ROM path erases whole
  // 1 KiB blocks; both stay 0xFF beyond the data in a fresh flash.
  return [
    { addr: A_ADDR, data: imgA },
    { addr: B_ADDR, data: imgB },
  ];
}

// ---------- main ----------
// A device we do not control (e.g. the ESP32 ROM under QEMU, -serial tcp:...): raw
// TCP, no reset, no flash file to compare.
async function runExternal(opts, name) {
  const [host, port] = opts.external.split(":");
  opts.host = host;
  console.log(`# case ${name} against ${opts.external} (raw, no reset)`);
  try {
    if (name === "stub") await caseStub(opts, Number(port), []);
    else await caseRom(opts, Number(port), []);
  } catch (e) {
    check(false, `${name}: esptool-js run`, e && e.stack ? e.stack : String(e));
  }
}

async function runCase(opts, name) {
  if (opts.external) return runExternal(opts, name);
  const dir = opts.keep ? path.join(opts.keep, name) : fs.mkdtempSync(path.join(os.tmpdir(), `conf-${name}-`));
  fs.mkdirSync(dir, { recursive: true });
  const flashPath = path.join(dir, "flash.bin");
  const logPath = path.join(dir, "sim.log");
  fs.rmSync(flashPath, { force: true });
  console.log(`# case ${name} (${opts.mode}), work dir ${dir}`);
  const sim = await startSim(opts, flashPath, logPath);
  const lines = [];
  let written = [];
  try {
    written = name === "stub" ? await caseStub(opts, sim.port, lines) : await caseRom(opts, sim.port, lines);
  } catch (e) {
    check(false, `${name}: esptool-js run`, e && e.stack ? e.stack : String(e));
  }
  const ex = await stopSim(sim);
  check(ex.sig === null || ex.sig === "SIGTERM", `${name}: simulator stopped cleanly`, JSON.stringify(ex));
  let flash = null;
  try {
    flash = fs.readFileSync(flashPath);
  } catch (e) {
    check(false, `${name}: flash file saved`, e.message);
  }
  if (flash) {
    for (const w of written) {
      const got = flash.subarray(w.addr, w.addr + w.data.length);
      const d = firstDiff(got, w.data);
      check(
        d === -1,
        `${name}: flash file holds the image at 0x${w.addr.toString(16)} (${w.data.length} bytes)`,
        d >= 0 ? `first difference at +0x${d.toString(16)}: file ${hex(got.subarray(d, d + 8))} image ${hex(w.data.subarray(d, d + 8))}` : "",
      );
    }
  }
  if (failures && !opts.keep) console.log(`# simulator log kept in ${logPath}`);
  else if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`esptool-js-check: ${e.message}`);
    process.exit(2);
  }
  const pkg = JSON.parse(fs.readFileSync(new URL("./node_modules/esptool-js/package.json", import.meta.url), "utf8"));
  console.log(`# esptool-js ${pkg.version}, node ${process.version}, device ${opts.external || opts.sim}`);
  for (const c of opts.cases) await runCase(opts, c);
  console.log(`# ${passes} passed, ${failures} failed, ${todos} known difference(s) checked (TODO)`);
  process.exit(failures ? 1 : 0);
}

// a hung client must not hang the test run
setTimeout(() => {
  console.log("not ok - whole run took more than 240 s");
  process.exit(1);
}, 240000).unref();

main();
