"""A SIMULATED large Incus cluster: replies recorded from the real dev cluster, replayed at the
scale asked (say 1,000 members), for what this machine cannot form for real (32 daemons are
about its limit). Not Incus: it answers from memory, so its own speed says nothing about
Incus's; it is there to count what the dashboard asks and to time the dashboard's side.

    python -m bench.incus_sim record            # from the bench cluster, into bench/recorded/
    python -m bench.incus_sim serve --members 1000 --port 8443 --cert C --key K

Each member is member1's recorded reply under another name (url: this server, so failover
stays here), with one instance each (the recorded first instance, renamed and placed there).
`GET /sim/requests` gives the requests served so far by endpoint (not counting its own); `/1.0/events` is a websocket
that stays quiet but for `POST /sim/describe` (`{"member": …, "description": …}`), which sets a
member's description and sends its `cluster-member-updated` event, as Incus does after
`incus cluster edit`, before it answers.
"""

import argparse
import copy
import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from webui.incus.transport import endpoint

RECORDED = Path(__file__).parent / "recorded"
# uvicorn closes an idle connection after 5 s: every state round (10 s apart) would open its
# connections anew, a TLS handshake each in this one Python process, and the simulation must
# not be the slow side. Kept as long as the dashboard keeps them (webui.incus.transport.LIMITS).
KEEP_ALIVE = 75
# What the dashboard reads, recorded with `incus query` from a real 6.0.4 member.
QUERIES = {
    "server": "/1.0",
    "server_of": "/1.0?target=member1",
    "members": "/1.0/cluster/members?recursion=1",
    "state": "/1.0/cluster/members/member1/state",
    "resources": "/1.0/resources?target=member1",
    "instances": "/1.0/instances?recursion=1&all-projects=true",
    "groups": "/1.0/cluster/groups?recursion=1",
    "metadata": "/1.0/metadata/configuration",
}


def record() -> None:
    from bench.harness import cluster

    cl = cluster()
    RECORDED.mkdir(exist_ok=True)
    for name, path in QUERIES.items():
        (RECORDED / f"{name}.json").write_text(json.dumps(cl.query(path), indent=1) + "\n")
        print(f"recorded {path}")


def sync(metadata: object) -> dict[str, Any]:
    """Incus's envelope of a synchronous reply."""
    return {
        "type": "sync", "status": "Success", "status_code": 200, "operation": "", "error_code": 0, "error": "",
        "metadata": metadata,
    }


class Simulation:
    def __init__(self, members: int, url: str) -> None:
        replies = {name: json.loads((RECORDED / f"{name}.json").read_text()) for name in QUERIES}
        template = next(m for m in replies["members"] if m["server_name"] == "member1")
        instance = replies["instances"][0]
        self.names = [f"member{i}" for i in range(1, members + 1)]
        self.members = [{**copy.deepcopy(template), "server_name": n, "url": url} for n in self.names]
        for member in self.members[3:]:  # three database members, as Incus keeps; the rest plain
            member.update(database=False, roles=[])
        self.instances = [
            {**copy.deepcopy(instance), "name": f"sim{i}", "location": n} for i, n in enumerate(self.names, 1)
        ]
        self.replies = replies
        self.requests: Counter[str] = Counter()
        self.listeners: set[WebSocket] = set()
        # The big lists are encoded once (and again on a change): the simulation must not be the slow side.
        self.encoded = {
            "members": json.dumps(sync(self.members)).encode(),
            "instances": json.dumps(sync(self.instances)).encode(),
        }

    async def answer(self, request: Request) -> Response:
        path = request.url.path.rstrip("/")
        if path == "/sim/requests":  # the bench's own question, not counted among the dashboard's
            return JSONResponse(dict(self.requests))
        self.requests[f"{request.method} {endpoint(path)}"] += 1
        parts = path.split("/")
        if path == "/1.0":
            return JSONResponse(sync(self.replies["server_of" if "target" in request.query_params else "server"]))
        if path == "/1.0/cluster/members":
            return Response(self.encoded["members"], media_type="application/json")
        if path == "/1.0/instances":
            return Response(self.encoded["instances"], media_type="application/json")
        if len(parts) == 5 and parts[3] == "members" and parts[4] in self.names:
            return JSONResponse(sync(self.members[self.names.index(parts[4])]))
        if len(parts) == 6 and parts[3] == "members" and parts[5] == "state":
            return JSONResponse(sync(self.replies["state"]))
        simple = {
            "/1.0/resources": "resources", "/1.0/cluster/groups": "groups", "/1.0/metadata/configuration": "metadata"
        }
        if path in simple:
            return JSONResponse(sync(self.replies[simple[path]]))
        if path == "/1.0/operations":
            return JSONResponse(sync({}))
        body = {"type": "error", "error": "not found", "error_code": 404, "metadata": None}
        return JSONResponse(body, status_code=404)

    async def events(self, websocket: WebSocket) -> None:
        await websocket.accept()
        self.listeners.add(websocket)
        try:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
        finally:
            self.listeners.discard(websocket)

    async def describe(self, request: Request) -> Response:
        change = await request.json()
        name = change["member"]
        self.members[self.names.index(name)]["description"] = change["description"]
        self.encoded["members"] = json.dumps(sync(self.members)).encode()
        event = {
            "type": "lifecycle", "timestamp": datetime.now(UTC).isoformat(), "location": "member1", "project": "",
            "metadata": {"action": "cluster-member-updated", "source": f"/1.0/cluster/members/{name}"},
        }
        for listener in list(self.listeners):
            await listener.send_text(json.dumps(event))
        return JSONResponse(sync({}))


def app(simulation: Simulation) -> Starlette:
    return Starlette(
        routes=[
            WebSocketRoute("/1.0/events", simulation.events),
            Route("/sim/describe", simulation.describe, methods=["POST"]),
            Route("/{path:path}", simulation.answer, methods=["GET"]),
        ]
    )


def spawn(members: int, folder: Path, port: int) -> tuple[subprocess.Popen[bytes], Path, Path]:
    """The simulation as a process of its own on 127.0.0.1:`port`, with a fresh certificate;
    the process and the certificate's and key's files (in `folder`)."""
    from tests.certs import make_certificate

    cert, key = make_certificate("incus-webui simulation")
    (folder / "sim.crt").write_text(cert)
    (folder / "sim.key").write_text(key)
    sim = subprocess.Popen(
        [sys.executable, "-m", "bench.incus_sim", "serve", "--members", str(members), "--port", str(port),
         "--cert", str(folder / "sim.crt"), "--key", str(folder / "sim.key")]
    )
    return sim, folder / "sim.crt", folder / "sim.key"


def answers(port: int) -> bool:
    try:
        return httpx.get(f"https://127.0.0.1:{port}/1.0", verify=False).status_code == 200
    except httpx.TransportError:
        return False


def served(port: int) -> Counter[str]:
    """The requests the simulation on `port` served so far, by endpoint."""
    return Counter(httpx.get(f"https://127.0.0.1:{port}/sim/requests", verify=False).json())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["record", "serve"])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--cert", type=Path)
    parser.add_argument("--key", type=Path)
    args = parser.parse_args()
    if args.action == "record":
        record()
        return
    simulation = Simulation(args.members, f"https://127.0.0.1:{args.port}")
    uvicorn.run(
        app(simulation), host="127.0.0.1", port=args.port, log_level="warning",
        ssl_certfile=str(args.cert), ssl_keyfile=str(args.key), timeout_keep_alive=KEEP_ALIVE,
    )


if __name__ == "__main__":
    main()
