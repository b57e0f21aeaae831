"""Redis that misbehaves rather than dies, against the real app on loopback: a server that answers
in shapes Redis never does (a proxy or another program on the port), and a real redis-server that
answers PING but refuses every write (full under noeviction, a read-only replica). Every request
is answered from the per-process buckets, never a 500, and /readyz says Redis is down for as long
as it cannot count."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys

import pytest
from deploy_support import ROOT, RedisServer, needs_redis, redis_server  # noqa: F401 (a fixture)
from web_support import make_settings

from verifier.web import keys
from verifier.web.app import create_app

NOTICE = json.dumps({"text": "【网络仲裁委员会】您的案件已立案，请联系13812345678"}, ensure_ascii=False)
JSON = {"Content-Type": "application/json"}


class OddRedis:
    """Speaks RESP on loopback: PING is PONG, HELLO gets `hello`, every other command `reply`."""

    def __init__(self, reply: bytes, hello: bytes = b"-ERR unknown command 'HELLO'\r\n") -> None:
        self.reply, self.hello = reply, hello
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"redis://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/0"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (line := await reader.readline()).startswith(b"*"):
                args = []
                for _ in range(int(line[1:])):
                    size = int((await reader.readline())[1:])
                    args.append((await reader.readexactly(size + 2))[:-2].upper())
                writer.write(b"+PONG\r\n" if args[0] == b"PING" else
                             self.hello if args[0] == b"HELLO" else self.reply)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def ask(client) -> tuple[list[int], dict]:  # type: ignore[no-untyped-def]
    statuses = []
    for _ in range(3):
        resp = await client.post("/v1/verify", data=NOTICE, headers=JSON)
        statuses.append(resp.status)
    return statuses, (await (await client.get("/readyz")).json())["redis"]


@pytest.mark.parametrize("reply", [
    b":1\r\n",  # an integer, not the script's pair: TypeError, a 500 for every request
    b"*1\r\n:1\r\n",  # one item: ValueError
    b"*2\r\n$3\r\nabc\r\n:1\r\n",  # a string where a count belongs: ValueError
    b"*2\r\n:7\r\n:-5\r\n",  # numbers, but no answer the script gives: was "allowed"
    b"+OK\r\n",  # read as the bytes of "OK": was "allowed", retry after 75 s
    b"$-1\r\n",  # nil: TypeError
])
async def test_a_reply_of_another_shape_is_redis_down_not_a_500(aiohttp_client, bundled_holder,
                                                                reply: bytes) -> None:
    async with OddRedis(reply) as url:
        client = await aiohttp_client(create_app(make_settings(redis_url=url),
                                                 registry_holder=bundled_holder))
        statuses, redis = await ask(client)
    assert statuses == [200, 200, 200]
    assert redis["up"] is False and redis["rate_limit_backend"] == "memory" and redis["last_error"]


async def test_hello_answered_by_a_proxy_is_redis_down_not_a_crash(aiohttp_client,
                                                                    bundled_holder) -> None:
    # redis-py reads HELLO's answer as a map; "+OK" (some proxies) was an AttributeError that
    # stopped start-up (the first ping) and, later, failed every request with a 500.
    async with OddRedis(b"*2\r\n:1\r\n:0\r\n", hello=b"+OK\r\n") as url:
        client = await aiohttp_client(create_app(make_settings(redis_url=url),
                                                 registry_holder=bundled_holder))
        statuses, redis = await ask(client)
    assert statuses == [200, 200, 200]
    assert redis["up"] is False and redis["last_error"]


# ---------------------------------------------------------------- a real Redis that cannot write


def redis_cli(server: RedisServer, *args: str) -> str:
    return subprocess.run(["redis-cli", "-p", str(server.port), *args], check=True,
                          capture_output=True, text=True, timeout=30).stdout


@pytest.fixture
def unwritable(request: pytest.FixtureRequest, redis_server: RedisServer) -> RedisServer:
    if request.param == "full":  # maxmemory reached, noeviction: every write is refused (OOM)
        redis_cli(redis_server, "CONFIG", "SET", "maxmemory-policy", "noeviction")
        redis_cli(redis_server, "CONFIG", "SET", "maxmemory", "1")
    else:  # a read-only replica (of a primary that is not there): READONLY for every write
        redis_cli(redis_server, "REPLICAOF", "127.0.0.1", "1")
    return redis_server


@needs_redis
@pytest.mark.redis
@pytest.mark.parametrize("unwritable", ["full", "replica"], indirect=True)
async def test_redis_that_answers_ping_but_cannot_count_stays_down(
        aiohttp_client, bundled_holder, unwritable: RedisServer) -> None:
    """PING succeeded, so the watch called Redis up again every 0.25 s and the next request
    called it down: /readyz said up between requests and the log had two events a request."""
    app = create_app(make_settings(redis_url=unwritable.url), registry_holder=bundled_holder)
    client = await aiohttp_client(app)
    link = app[keys.REDIS]
    statuses, redis = await ask(client)
    assert statuses == [200, 200, 200]
    assert redis["up"] is False and redis["last_error"]
    seen = link.failures
    async with asyncio.timeout(60):  # the watch's next check, whatever it finds
        while link.failures == seen and not link.up:
            await asyncio.sleep(0.05)
    assert not link.up
    statuses, redis = await ask(client)
    assert statuses == [200, 200, 200] and redis["up"] is False


# ------------------------------------------------- a Redis URL that would undo the short timeouts


def refused_redis_url(url: str) -> tuple[subprocess.Popen[str], str]:
    """`verifier serve` with VERIFIER_REDIS_URL, which must refuse to start within 30 s: the
    process and what it printed."""
    env = os.environ | {"VERIFIER_REDIS_URL": url, "VERIFIER_NETWORK_CHECKS": "off",
                        "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "verifier", "serve", "--port", "0"], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        raise AssertionError(f"started with VERIFIER_REDIS_URL={url!r}:\n{err[-2000:]}") from None
    return proc, err


@needs_redis
@pytest.mark.redis
@pytest.mark.parametrize("query", ["socket_timeout=60", "socket_connect_timeout=60",
                                   "retry_on_timeout=yes", "health_check_interval=1",
                                   "timeout=60"])
def test_a_redis_url_cannot_override_the_services_timeouts(redis_server: RedisServer,
                                                           query: str) -> None:
    # redis-py lets the URL's query win over the arguments it is given: with ?socket_timeout=60
    # a Redis that stalls (paused, swapping, a long command) held every verify request for a
    # minute, where VERIFIER_REDIS_TIMEOUT_MS (250 ms) had the per-process limiter answer.
    password_url = redis_server.url.replace("redis://", "redis://:hunter2@")
    proc, err = refused_redis_url(f"{password_url}?db=0&{query}")
    name = query.split("=")[0]
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert f"bad setting VERIFIER_REDIS_URL: Value error, remove {name} from its query" in err
    assert "VERIFIER_REDIS_TIMEOUT_MS" in err and "hunter2" not in err


@needs_redis
@pytest.mark.redis
@pytest.mark.parametrize(("query", "words"), [
    ("client=verifier", "its query parameter client is not one a Redis connection takes"),
    ("ssl_cert_reqs=maybe", "its query has a value Redis cannot use"),  # with rediss://
    ("protocol=9", "its query has a value Redis cannot use"),
])
def test_a_redis_url_query_redis_cannot_use_stops_start_up(redis_server: RedisServer,
                                                           query: str, words: str) -> None:
    # Each was accepted at start-up and then failed every command (a TypeError or RedisError
    # inside redis-py): Redis "down" for good, with no word at start-up about the URL.
    url = redis_server.url
    if query.startswith("ssl_"):
        url = url.replace("redis://", "rediss://")
    proc, err = refused_redis_url(f"{url}?{query}")
    assert proc.returncode == 3 and "Traceback" not in err, err
    assert "verifier: cannot start: VERIFIER_REDIS_URL cannot be used: " + words in err, err


@needs_redis
@pytest.mark.redis
@pytest.mark.parametrize(("where", "words"), [
    ("/1a", "the database (/1a) must be a number"),  # read as no database: shared database 0
    ("/\u0663", "must be a number"),                  # read as 3
    ("/1/2", "must be a number"),                      # read as 12
    ("/0?db=-1", "named twice"),
    ("?db=-1", "the database (?db=-1) must be a number"),  # SELECT -1 failed: down for good
])
def test_a_redis_url_whose_database_is_not_a_number_stops_start_up(redis_server: RedisServer,
                                                                   where: str, words: str) -> None:
    password_url = redis_server.url.rsplit("/", 1)[0].replace("redis://", "redis://:hunter2@")
    proc, err = refused_redis_url(password_url + where)
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert "bad setting VERIFIER_REDIS_URL" in err and words in err and "hunter2" not in err


def test_a_unix_redis_url_without_a_socket_path_stops_start_up() -> None:
    # unix:// started and then every command failed ("Error 22 connecting to .")
    proc, err = refused_redis_url("unix://")
    assert proc.returncode == 2 and "name the socket file" in err, err
