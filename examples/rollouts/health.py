#!/usr/bin/env python3
"""The tenants' health endpoint of examples/rollouts: a real HTTP server on 127.0.0.1.

GET /health/TENANT answers 500 when the tenant's backend runs an image whose tag contains
"bad", reading the image from the simulated cloud (the mock provider's .landlord/mock-cloud.json
and its journal), not from a list it is given: the backend ECS service's task definition, then
that task definition's image. Any other image answers 200. A tenant with no backend is 404.

    python3 health.py FLEET_DIR [PORT [PORT_FILE]]   (default port 8471; 0 picks a free one,
                                                      written to PORT_FILE when given; with a
                                                      PORT_FILE it also exits when its parent does)

HEALTH_FLAKY=0.03 makes that share of tenants (picked by a hash of the id, so the same ones
every time) answer 503 whatever their image: a flaky fleet for a failure budget to absorb.
"""
import hashlib
import http.server
import json
import os
import sys
import threading
import time


_cache = {"stamp": None, "resources": {}}
_lock = threading.Lock()


def cloud(path):
    """Every resource of the simulated cloud, read again only when its files changed."""
    def stamp(p):
        try:
            st = os.stat(p)
            return (st.st_ino, st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            return None
    with _lock:
        now = (stamp(path), stamp(path + ".journal"))
        if now != _cache["stamp"]:
            _cache["resources"] = read_cloud(path)
            _cache["stamp"] = now
        return _cache["resources"]


def read_cloud(path):
    """Every resource of the simulated cloud by 'type|id': the JSON file, then its journal."""
    resources = {}
    try:
        with open(path) as f:
            doc = json.load(f)
    except (FileNotFoundError, ValueError):
        doc = {"resources": []}
    for r in doc.get("resources", []):
        resources[r["type"] + "|" + r["id"]] = r
    try:
        with open(path + ".journal") as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue  # a line still being written
                if e.get("op") == "put":
                    r = e["resource"]
                    resources[r["type"] + "|" + r["id"]] = r
                elif e.get("op") == "del":
                    resources.pop(e.get("key"), None)
    except FileNotFoundError:
        pass
    return resources


def backend_image(resources, tenant):
    service = None
    for r in resources.values():
        if r["type"] == "aws.ecs_service" and r.get("tags", {}).get("landlord:address") == tenant + "/backend":
            service = r
    if service is None:
        return None
    task = resources.get("aws.ecs_task_definition|" + str(service["attributes"].get("taskDefinition")))
    return task["attributes"].get("image") if task else None


def flaky(tenant, share):
    return share > 0 and int(hashlib.sha256(tenant.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != "health":
            return self.answer(404, "GET /health/TENANT\n")
        tenant = parts[1]
        if flaky(tenant, float(os.environ.get("HEALTH_FLAKY", "0"))):
            return self.answer(503, "flaky: this tenant fails its checks whatever it runs\n")
        image = backend_image(cloud(self.server.cloud_path), tenant)
        if image is None:
            return self.answer(404, "no backend service for %s in the cloud\n" % tenant)
        if "bad" in image.rsplit(":", 1)[-1]:
            return self.answer(500, "backend %s is failing: image %s\n" % (tenant, image))
        self.answer(200, "ok: %s runs %s\n" % (tenant, image))

    def answer(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main():
    fleet = sys.argv[1] if len(sys.argv) > 1 else "."
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8471
    # A listen backlog for a fleet's checks arriving at once (socketserver's default is 5: the
    # rest of the connections would wait for the kernel to retry them, a second or more).
    http.server.ThreadingHTTPServer.request_queue_size = 256
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.cloud_path = os.path.join(fleet, ".landlord", "mock-cloud.json")
    if len(sys.argv) > 3:
        # Started by a test: end with the process that started it, whatever happens to it.
        parent = os.getppid()

        def watch():
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(0)

        threading.Thread(target=watch, daemon=True).start()
        with open(sys.argv[3] + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.replace(sys.argv[3] + ".tmp", sys.argv[3])
    print("health endpoint on http://127.0.0.1:%d/health/TENANT, reading %s" % (server.server_address[1], server.cloud_path), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
