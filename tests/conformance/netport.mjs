// SPDX-License-Identifier: MIT
//
// A Web Serial style port (the object esptool-js's Transport expects from
// navigator.serial) backed by a TCP connection, in one of two modes:
//
//   rfc2217  telnet + COM-PORT-OPTION (RFC 2217): baud rate and the DTR/RTS
//            modem lines travel to the far end, data bytes 0xFF are doubled.
//   raw      plain bytes; setSignals() and baud changes only update local state.
//
// Interface used by esptool-js 0.7.0 (lib/webserial.js): open({baudRate}),
// close(), readable (ReadableStream of Uint8Array), writable (WritableStream),
// setSignals({dataTerminalReady, requestToSend, break}), getInfo(), and the
// optional setBaudRate(baud) which lets the host change speed in place.

import net from "node:net";

// telnet (RFC 854/855)
const IAC = 255;
const DONT = 254;
const DO = 253;
const WONT = 252;
const WILL = 251;
const SB = 250;
const SE = 240;
const OPT_BINARY = 0;
const OPT_ECHO = 1;
const OPT_SGA = 3;
const OPT_COM_PORT = 44;

// RFC 2217 client-to-server commands; the server answers with code + 100
export const CPO = {
  SET_BAUDRATE: 1,
  SET_DATASIZE: 2,
  SET_PARITY: 3,
  SET_STOPSIZE: 4,
  SET_CONTROL: 5,
  PURGE_DATA: 12,
};
// SET-CONTROL values
const CTL_NO_FLOW = 1;
const CTL_DTR_ON = 8;
const CTL_DTR_OFF = 9;
const CTL_RTS_ON = 11;
const CTL_RTS_OFF = 12;

const ACK_TIMEOUT_MS = 3000;

function u32be(v) {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

// Escapes IAC inside a subnegotiation or data stream.
function escapeIac(bytes) {
  const out = [];
  for (const b of bytes) {
    out.push(b);
    if (b === IAC) out.push(IAC);
  }
  return out;
}

export class NetSerialPort {
  // opts: {host, port, mode: "rfc2217"|"raw", log: fn(string) | null}
  constructor(opts) {
    this.host = opts.host;
    this.port = opts.port;
    this.mode = opts.mode || "rfc2217";
    this.log = opts.log || null;
    this.sock = null;
    this.readable = null;
    this.writable = null;
    this.baudRate = 0;
    this.dtr = false;
    this.rts = false;
    this.stats = { setControl: [], setBaud: [], bytesIn: 0, bytesOut: 0, acks: 0 };
    this._rxController = null;
    this._waiters = []; // {code, match(bytes), resolve, reject, timer}
    this._tstate = 0; // telnet parser state
    this._sbBuf = [];
    this._opts = new Map(); // "we:<opt>" / "they:<opt>" -> true/false
    this._sentWill = new Set();
    this._sentDo = new Set();
    this._closed = false;
  }

  getInfo() {
    return {}; // no USB ids: behaves like a plain UART bridge
  }

  _trace(msg) {
    if (this.log) this.log(msg);
  }

  async open(options) {
    if (this.sock) throw new Error("port already open");
    const baud = (options && options.baudRate) || 115200;
    this._closed = false;
    this.sock = await new Promise((resolve, reject) => {
      const s = net.createConnection({ host: this.host, port: this.port });
      const onErr = (e) => reject(e);
      s.once("error", onErr);
      s.once("connect", () => {
        s.off("error", onErr);
        resolve(s);
      });
    });
    this.sock.setNoDelay(true);
    this.readable = new ReadableStream({
      start: (controller) => {
        this._rxController = controller;
      },
      cancel: () => {
        this._rxController = null;
      },
    });
    this.writable = new WritableStream({
      write: (chunk) => this._send(this.mode === "rfc2217" ? escapeIac(chunk) : Array.from(chunk)),
    });
    this.sock.on("data", (buf) => this._onData(buf));
    this.sock.on("error", (e) => this._fail(e));
    this.sock.on("close", () => this._fail(new Error("connection closed by the device")));
    if (this.mode === "rfc2217") {
      await this._negotiate();
      // 8N1, no flow control, then the speed: as a serial driver would on open
      await this._subneg(CPO.SET_DATASIZE, [8]);
      await this._subneg(CPO.SET_PARITY, [1]);
      await this._subneg(CPO.SET_STOPSIZE, [1]);
      await this._subneg(CPO.SET_CONTROL, [CTL_NO_FLOW]);
    }
    await this.setBaudRate(baud);
  }

  async close() {
    this._closed = true;
    const s = this.sock;
    this.sock = null;
    if (this._rxController) {
      try {
        this._rxController.close();
      } catch {
        /* already closed */
      }
      this._rxController = null;
    }
    this.readable = null;
    this.writable = null;
    for (const w of this._waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error("port closed"));
    }
    if (s) {
      await new Promise((resolve) => {
        s.once("close", resolve);
        s.end();
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 500);
      });
    }
  }

  async setBaudRate(baud) {
    if (this.mode === "rfc2217") {
      const ack = await this._subneg(CPO.SET_BAUDRATE, u32be(baud));
      const got = ((ack[0] << 24) | (ack[1] << 16) | (ack[2] << 8) | ack[3]) >>> 0;
      if (got !== baud) throw new Error(`RFC 2217 SET-BAUDRATE ${baud} acknowledged as ${got}`);
    }
    this.stats.setBaud.push(baud);
    this.baudRate = baud;
  }

  async setSignals(sig) {
    if (!this.sock) throw new Error("port not open");
    // Web Serial: a member that is absent (undefined) leaves the line alone
    if (sig.dataTerminalReady !== undefined) {
      this.dtr = !!sig.dataTerminalReady;
      if (this.mode === "rfc2217") await this._subneg(CPO.SET_CONTROL, [this.dtr ? CTL_DTR_ON : CTL_DTR_OFF]);
      this.stats.setControl.push(this.dtr ? "D1" : "D0");
    }
    if (sig.requestToSend !== undefined) {
      this.rts = !!sig.requestToSend;
      if (this.mode === "rfc2217") await this._subneg(CPO.SET_CONTROL, [this.rts ? CTL_RTS_ON : CTL_RTS_OFF]);
      this.stats.setControl.push(this.rts ? "R1" : "R0");
    }
  }

  // --- internals ---

  _fail(err) {
    if (this._closed) return;
    this._closed = true;
    this._trace(`port: ${err.message}`);
    for (const w of this._waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    if (this._rxController) {
      try {
        this._rxController.error(err);
      } catch {
        /* ignore */
      }
      this._rxController = null;
    }
  }

  _send(bytes) {
    return new Promise((resolve, reject) => {
      if (!this.sock) {
        reject(new Error("port not open"));
        return;
      }
      this.stats.bytesOut += bytes.length;
      this.sock.write(Buffer.from(bytes), (err) => (err ? reject(err) : resolve()));
    });
  }

  _deliver(bytes) {
    if (bytes.length === 0) return;
    this.stats.bytesIn += bytes.length;
    if (this._rxController) this._rxController.enqueue(Uint8Array.from(bytes));
  }

  _onData(buf) {
    if (this.mode !== "rfc2217") {
      this._deliver(buf);
      return;
    }
    const data = [];
    for (const b of buf) {
      switch (this._tstate) {
        case 0: // data
          if (b === IAC) this._tstate = 1;
          else data.push(b);
          break;
        case 1: // after IAC
          if (b === IAC) {
            data.push(IAC);
            this._tstate = 0;
          } else if (b === DO || b === DONT || b === WILL || b === WONT) {
            this._verb = b;
            this._tstate = 2;
          } else if (b === SB) {
            this._sbBuf = [];
            this._tstate = 3;
          } else {
            this._tstate = 0; // NOP, GA, ...: nothing to do
          }
          break;
        case 2: // option code after DO/DONT/WILL/WONT
          this._onOption(this._verb, b);
          this._tstate = 0;
          break;
        case 3: // inside SB
          if (b === IAC) this._tstate = 4;
          else this._sbBuf.push(b);
          break;
        case 4: // IAC inside SB
          if (b === IAC) {
            this._sbBuf.push(IAC);
            this._tstate = 3;
          } else if (b === SE) {
            this._onSubneg(this._sbBuf);
            this._tstate = 0;
          } else {
            this._trace(`telnet: IAC ${b} inside subnegotiation`);
            this._tstate = 3;
          }
          break;
      }
    }
    this._deliver(data);
  }

  // Telnet option negotiation (RFC 1143 in its simplest form): accept the options we
  // asked for, refuse everything else, never answer an acknowledgement.
  _onOption(verb, opt) {
    const ours = [OPT_BINARY, OPT_SGA, OPT_COM_PORT]; // we WILL
    const theirs = [OPT_BINARY, OPT_ECHO, OPT_SGA, OPT_COM_PORT]; // they may WILL
    if (verb === DO || verb === DONT) {
      const want = verb === DO && ours.includes(opt);
      const was = this._opts.get(`we:${opt}`);
      this._opts.set(`we:${opt}`, want);
      const asked = this._sentWill.has(opt);
      if (verb === DO && !asked) {
        this._raw([IAC, want ? WILL : WONT, opt]);
        if (want) this._sentWill.add(opt);
      } else if (verb === DONT && (was || asked)) {
        this._sentWill.delete(opt);
        this._raw([IAC, WONT, opt]);
      }
    } else {
      const want = verb === WILL && theirs.includes(opt);
      const was = this._opts.get(`they:${opt}`);
      this._opts.set(`they:${opt}`, want);
      const asked = this._sentDo.has(opt);
      if (verb === WILL && !asked) {
        this._raw([IAC, want ? DO : DONT, opt]);
        if (want) this._sentDo.add(opt);
      } else if (verb === WONT && (was || asked)) {
        this._sentDo.delete(opt);
        this._raw([IAC, DONT, opt]);
      }
    }
    this._checkNegotiated();
  }

  _checkNegotiated() {
    if (this._negResolve && (this._opts.get(`we:${OPT_COM_PORT}`) || this._opts.get(`they:${OPT_COM_PORT}`))) {
      const r = this._negResolve;
      this._negResolve = null;
      r();
    }
  }

  _raw(bytes) {
    if (this.sock) {
      this.stats.bytesOut += bytes.length;
      this.sock.write(Buffer.from(bytes));
    }
  }

  _negotiate() {
    this._sentWill = new Set([OPT_BINARY, OPT_SGA, OPT_COM_PORT]);
    this._sentDo = new Set([OPT_BINARY, OPT_SGA, OPT_COM_PORT]);
    const req = [];
    for (const o of this._sentWill) req.push(IAC, WILL, o);
    for (const o of this._sentDo) req.push(IAC, DO, o);
    const p = new Promise((resolve, reject) => {
      this._negResolve = resolve;
      setTimeout(() => {
        if (this._negResolve) {
          this._negResolve = null;
          reject(new Error("RFC 2217: the device did not agree to COM-PORT-OPTION within 3 s"));
        }
      }, ACK_TIMEOUT_MS);
    });
    this._raw(req);
    return p;
  }

  _onSubneg(sb) {
    if (sb.length < 2 || sb[0] !== OPT_COM_PORT) {
      this._trace(`telnet: ignored subnegotiation ${sb.join(",")}`);
      return;
    }
    const code = sb[1];
    const payload = sb.slice(2);
    const i = this._waiters.findIndex((w) => w.code + 100 === code);
    if (i >= 0) {
      const w = this._waiters.splice(i, 1)[0];
      clearTimeout(w.timer);
      this.stats.acks++;
      w.resolve(payload);
    } else if (code !== 106 && code !== 107) {
      // 106/107 = NOTIFY-LINESTATE / NOTIFY-MODEMSTATE: unsolicited, harmless
      this._trace(`rfc2217: unsolicited server command ${code} [${payload.join(",")}]`);
    }
  }

  // Sends IAC SB COM-PORT-OPTION code payload IAC SE; resolves with the reply payload.
  _subneg(code, payload) {
    return new Promise((resolve, reject) => {
      const w = {
        code,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this._waiters.indexOf(w);
          if (i >= 0) this._waiters.splice(i, 1);
          reject(new Error(`RFC 2217: no reply to command ${code} [${payload.join(",")}] within 3 s`));
        }, ACK_TIMEOUT_MS),
      };
      this._waiters.push(w);
      this._raw([IAC, SB, OPT_COM_PORT, code, ...escapeIac(payload), IAC, SE]);
    });
  }
}
