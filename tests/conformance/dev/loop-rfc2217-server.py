#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Local check of netport.mjs's RFC 2217 client without the simulator: serves pyserial's
# loop:// port (echoes every byte) through pyserial's RFC 2217 PortManager.
# Usage: loop-rfc2217-server.py PORT   (one connection, then exits)
import socket
import sys

import serial
import serial.rfc2217

port = int(sys.argv[1])
ser = serial.serial_for_url("loop://", baudrate=115200, timeout=0.05)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(1)
conn, _ = srv.accept()
conn.settimeout(0.05)


class Conn:
    def write(self, data):
        conn.sendall(data)


mgr = serial.rfc2217.PortManager(ser, Conn())
while True:
    try:
        data = conn.recv(4096)
        if not data:
            break
        ser.write(b"".join(mgr.filter(data)))
    except socket.timeout:
        pass
    out = ser.read(ser.in_waiting or 1)
    if out:
        conn.sendall(b"".join(mgr.escape(out)))
print("server: baud=%d dtr=%s rts=%s" % (ser.baudrate, ser.dtr, ser.rts))
