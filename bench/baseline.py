"""The ceiling: a bare aiohttp endpoint that parses the same JSON and returns a small JSON answer.

Same process model as `verifier serve --workers 1` (one process, one event loop, aiohttp's
AppRunner on a bound socket), so the ratio measures what the verifier adds on top of aiohttp.
Run: python bench/baseline.py HOST PORT
"""

from __future__ import annotations

import asyncio
import json
import sys

from aiohttp import web


async def verify(request: web.Request) -> web.Response:
    data = json.loads(await request.read())
    answer = {"verdict": "unverified", "risk": 0, "chars": len(data.get("text") or "")}
    return web.Response(text=json.dumps(answer), content_type="application/json")


async def readyz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ready"})


async def main(host: str, port: int) -> None:
    app = web.Application()
    app.router.add_post("/v1/verify", verify)
    app.router.add_get("/readyz", readyz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
