// SPDX-License-Identifier: MIT
// Local check of netport.mjs against dev/loop-rfc2217-server.py (echo over RFC 2217).
import { NetSerialPort } from "../netport.mjs";
const port = new NetSerialPort({ host: "127.0.0.1", port: Number(process.argv[2]), mode: "rfc2217", log: console.log });
await port.open({ baudRate: 115200 });
await port.setSignals({ dataTerminalReady: false, requestToSend: true });
await port.setSignals({ dataTerminalReady: true, requestToSend: false });
await port.setBaudRate(921600);
const payload = Uint8Array.from({ length: 1024 }, (_, i) => (i * 37 + 255) & 0xff);
payload[5] = 0xff;
const w = port.writable.getWriter();
await w.write(payload);
w.releaseLock();
const r = port.readable.getReader();
let got = [];
while (got.length < payload.length) {
  const { value, done } = await r.read();
  if (done) break;
  got.push(...value);
}
r.releaseLock();
const ok = got.length === payload.length && got.every((b, i) => b === payload[i]);
console.log(`echo ${ok ? "ok" : "MISMATCH"} (${got.length} bytes), acks=${port.stats.acks}`);
await port.close();
process.exit(ok ? 0 : 1);
