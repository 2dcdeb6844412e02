"""A python-websockets (10.x, asyncio API) peer for the interop tests.

    python_peer.py client URL SCENARIO   runs SCENARIO against our server, prints one JSON line
    python_peer.py server                serves on 127.0.0.1, prints its port, runs until stdin closes

Debian's python3-websockets is used as shipped: no extension is disabled, so both the
client and the server offer or accept permessage-deflate, and the report names what was
agreed.
"""
import asyncio
import json
import sys

import websockets

SIZES = [0, 1, 125, 126, 64 * 1024, 1024 * 1024, 16 * 1024 * 1024]


def pattern(size, seed=0):
    return bytes(((i * 31 + seed) & 0xFF) for i in range(256)) * (size // 256) + \
        bytes(((i * 31 + seed) & 0xFF) for i in range(size % 256))


def text(size):
    unit = "aé€😀"
    whole = unit * (size // 10)
    return whole + "x" * (size - len(whole.encode()))


async def echo_matrix(ws):
    results = []
    for binary in (False, True):
        for size in SIZES:
            payload = pattern(size) if binary else text(size)
            await ws.send(payload)
            echoed = await ws.recv()
            results.append({"size": size, "binary": binary, "ok": echoed == payload})
    return results


async def client(url, scenario):
    protocols = ["superchat", "chat"] if scenario == "subprotocol" else None
    out = {}
    async with websockets.connect(url, max_size=None, subprotocols=protocols) as ws:
        out["extensions"] = [type(e).__name__ for e in ws.extensions]
        if scenario == "echo":
            out["results"] = await echo_matrix(ws)
        elif scenario == "fragments":
            await ws.send([b"frag", b"men", b"ted"])
            out["echo"] = (await ws.recv()).decode()
        elif scenario == "ping":
            waiter = await ws.ping(b"py-ping")
            await asyncio.wait_for(waiter, 5)
            out["pong"] = True
        elif scenario == "client-close":
            await ws.close(4005, "py-bye")
        elif scenario == "server-close":
            await ws.send("close-me")
            await ws.wait_closed()
        elif scenario == "subprotocol":
            out["subprotocol"] = ws.subprotocol
        elif scenario == "abrupt":
            await ws.send("about to vanish")
            ws.transport.abort()
            print(json.dumps(out), flush=True)
            return
    out["close_code"] = ws.close_code
    out["close_reason"] = ws.close_reason
    print(json.dumps(out), flush=True)


async def serve_connection(ws, path=None):
    path = ws.path
    try:
        if path == "/fragments":
            await ws.send([pattern(1000, 1), pattern(70000, 2), pattern(3, 3)])
        elif path == "/ping":
            waiter = await ws.ping(b"py-server-ping")
            await asyncio.wait_for(waiter, 5)
            await ws.send("pong-ok")
        elif path == "/close":
            await ws.recv()
            await ws.close(4006, "py-server-bye")
            return
        elif path == "/abrupt":
            await ws.recv()
            ws.transport.abort()
            return
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def server():
    async with websockets.serve(serve_connection, "127.0.0.1", 0, max_size=None,
                                subprotocols=["chat"]) as srv:
        port = srv.sockets[0].getsockname()[1]
        print(port, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    if sys.argv[1] == "client":
        asyncio.run(client(sys.argv[2], sys.argv[3]))
    else:
        asyncio.run(server())
