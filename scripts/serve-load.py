#!/usr/bin/env python3
"""Load test of `landlord serve`: N concurrent POST /v1/tenants on a fresh quickstart fleet
(mock provider, local state), then waits until every tenant is active.

Prints the POST latency percentiles (taken while the applies run), the seconds until all are
active, and checks: every POST answered 202, every tenant active with its 14 resources (the
simulated cloud refuses a duplicate name, so a tenant provisioned twice would fail), and the same id posted 20 times at once gives one 202 and nineteen 409.
Figures are printed, never asserted as timings. Beside the client's latencies it prints what the
server's access log measured for the same POSTs (from the request's arrival in the router to its
answer), the CPU seconds the server and this client used, and the load average, since the client
shares the machine's cores with the server.

By default each POST opens a connection of its own (what the figures in docs/performance.md
measure). `--keep-alive` is a separate variant: each client thread keeps one HTTP/1.1
connection open for all its POSTs (the TCP connect and accept leave the timing); its output
says so, and it is not comparable with the default figure.

The fleet and the server's files go in a new directory under TMPDIR: its filesystem is
printed, as it counts (ext4 without a journal, as on the machine these figures come from,
makes each new file cost far more than a journaled one: docs/performance.md, the service).

    swift build --product landlord --product landlord-server
    scripts/serve-load.py [N=200] [--bin=.build/debug] [--clients=50] [--keep-alive] [--fleet=K]

--fleet=K puts K tenant files in the fleet before the server starts (the service does not
provision them: it applies only the tenants created through it), so each request works at that
fleet's size.
"""
import http.client
import threading
import concurrent.futures as cf
import re
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

args = [a for a in sys.argv[1:] if not a.startswith("--")]
clients = int(next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--clients=")), "50"))
n = int(args[0]) if args else 200
keep_alive = "--keep-alive" in sys.argv[1:]
# --fleet=K: K tenant files already in the fleet (written before the server starts, never
# provisioned by it): the service's per-request work at a large fleet's size.
present = int(next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--fleet=")), "0"))
bindir = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--bin=")), None) or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", ".build", "debug")
landlord = os.path.join(bindir, "landlord")
server = os.path.join(bindir, "landlord-server")
for b in (landlord, server):
    if not os.access(b, os.X_OK):
        sys.exit(f"serve-load: {b} is missing: run `swift build --product landlord --product landlord-server` first")

tmp = tempfile.mkdtemp(prefix="landlord-serve-load-")
fleet = os.path.join(tmp, "fleet")
subprocess.run([landlord, "init", fleet], check=True, stdout=subprocess.DEVNULL)
for f in os.listdir(os.path.join(fleet, "tenants")):
    os.remove(os.path.join(fleet, "tenants", f))
with open(os.path.join(fleet, "platform.yaml")) as f:
    # The quickstart's own `api:` line gives way to this run's token variable (set below).
    platform = "".join(line for line in f if not line.startswith("api:"))
# Room for N tenants: more listeners in the pool (each takes 100 rules, 2 per tenant).
extra = "".join(
    f"    - arn: arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/alb-{i}/50dc6c495c0c9188/f2f7dc8efc522a{i:02d}\n"
    f"      dnsName: alb-{i}.us-east-1.elb.amazonaws.com\n" for i in range(2, 2 + n // 45 + 1))
platform = platform.rstrip("\n") + "\n" + extra + "api: {tokensEnv: LOAD_TOKENS}\n"
with open(os.path.join(fleet, "platform.yaml"), "w") as f:
    f.write(platform)
for i in range(present):
    with open(os.path.join(fleet, "tenants", f"present{i:06d}.yaml"), "w") as f:
        f.write(f"apiVersion: landlord/v1\nkind: Tenant\nid: present{i:06d}\nblueprint: web\n"
                f"parameters: {{subdomain: present{i:06d}, backendImage: \"img:1\"}}\n")

s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
env = dict(os.environ, LOAD_TOKENS="load-token", LANDLORD_STATE_FSYNC=os.environ.get("LANDLORD_STATE_FSYNC", "1"))
# The server's log goes to a file: a pipe nobody reads fills after 64 KB of request lines, and
# the server then blocks writing its log (every request after that hangs).
log = open(os.path.join(tmp, "server.log"), "w")
proc = subprocess.Popen([server, "-C", fleet, "--listen", f"127.0.0.1:{port}"], env=env, stderr=log)
base = f"http://127.0.0.1:{port}"


def cpu_seconds(pid):
    """utime + stime of a process (Linux /proc), None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def filesystem(path):
    """The device and type of the filesystem holding `path`, and for ext4 whether it has a
    journal (Linux: /proc/mounts and /proc/fs/jbd2). ext4 without one checks, for each new
    file, that its inode was not freed in the last minutes, reading inode tables as it goes:
    with many files deleted lately (test runs, earlier load runs) a POST's two new files cost
    more CPU there than the rest of its request. The fleet goes under TMPDIR."""
    best = ("?", "?", "")
    try:
        with open("/proc/mounts") as f:
            for line in f:
                dev, mnt, fstype = line.split()[:3]
                if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best[2]):
                    best = (dev, fstype, mnt)
    except OSError:
        return "filesystem unknown"
    dev, fstype, mnt = best
    note = ""
    if fstype == "ext4" and os.path.isdir("/proc/fs/jbd2"):
        journaled = any(j.startswith(os.path.basename(os.path.realpath(dev)) + "-") for j in os.listdir("/proc/fs/jbd2"))
        note = " with a journal" if journaled else " WITHOUT a journal: each new file costs more, see this script's header"
    return f"fleet on {dev} ({fstype}{note}) at {mnt}"


def server_post_ms():
    """The duration_ms of every POST /v1/tenants line of the server's access log."""
    out = []
    with open(os.path.join(tmp, "server.log")) as f:
        for line in f:
            if "method=POST" in line and "path=/v1/tenants " in line + " ":
                m = re.search(r"duration_ms=([0-9.]+)", line)
                if m:
                    out.append(float(m.group(1)))
    return sorted(out)


def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Authorization", "Bearer load-token")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


try:
    for _ in range(100):
        try:
            if call("GET", "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    connections = threading.local()

    def call_kept(path, body):
        """A POST on this thread's own persistent connection (--keep-alive)."""
        if getattr(connections, "c", None) is None:
            connections.c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c = connections.c
        c.request("POST", path, body=json.dumps(body).encode(),
                  headers={"Authorization": "Bearer load-token", "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.will_close:
            c.close()
            connections.c = None
        return r.status, None

    def post(i):
        body = {"id": f"load{i}", "blueprint": "web", "parameters": {"subdomain": f"load{i}", "backendImage": "img:1"}}
        t = time.perf_counter()
        status, _ = call_kept("/v1/tenants", body) if keep_alive else call("POST", "/v1/tenants", body)
        return status, time.perf_counter() - t
    load_before = os.getloadavg()[0]
    server_cpu0, client_cpu0 = cpu_seconds(proc.pid), sum(os.times()[:2])
    started = time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(post, range(n)))
    posting = time.perf_counter() - started
    server_cpu1, client_cpu1 = cpu_seconds(proc.pid), sum(os.times()[:2])
    lat = sorted(r[1] for r in results)
    codes = [r[0] for r in results]
    pct = lambda xs, p: xs[min(len(xs) - 1, int(p / 100 * len(xs)))]
    print(f"N={n}  POST /v1/tenants: {codes.count(202)}/{n} answered 202; "
          f"p50 {pct(lat, 50) * 1000:.1f} ms, p99 {pct(lat, 99) * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms ({clients} clients, applies running"
          f"{'; KEEP-ALIVE variant: one connection per client thread' if keep_alive else ''})")
    served = server_post_ms()
    if served:
        print(f"  the server's access log for those POSTs: p50 {pct(served, 50):.1f} ms, p99 {pct(served, 99):.1f} ms, "
              f"max {served[-1]:.1f} ms")
    if server_cpu0 is not None:
        print(f"  while posting ({posting:.2f} s): server {server_cpu1 - server_cpu0:.2f} CPU s, "
              f"this client {client_cpu1 - client_cpu0:.2f} CPU s; load average {load_before:.2f} before, "
              f"{os.getloadavg()[0]:.2f} after")
    print(f"  {filesystem(os.path.realpath(tmp))}")
    with cf.ThreadPoolExecutor(max_workers=20) as pool:
        race = list(pool.map(lambda _: call("POST", "/v1/tenants", {"id": "same", "blueprint": "web",
                                                                     "parameters": {"subdomain": "same", "backendImage": "i"}})[0], range(20)))
    print(f"same id x20 at once: {race.count(202)} x 202, {race.count(409)} x 409")
    deadline = time.time() + 900
    while time.time() < deadline:
        counts = {}
        sizes = set()
        cursor = None
        while True:
            status, page = call("GET", "/v1/tenants?limit=500" + (f"&cursor={cursor}" if cursor else ""))
            for t in page["tenants"]:
                counts[t["status"]] = counts.get(t["status"], 0) + 1
                sizes.add(t["resources"])
            cursor = page["nextCursor"]
            if not cursor:
                break
        if counts.get("provisioning", 0) == 0:
            break
        time.sleep(0.5)
    print(f"all settled after {time.perf_counter() - started:.1f} s: {counts}")
    if server_cpu0 is not None:
        print(f"  server CPU since the first POST: {cpu_seconds(proc.pid) - server_cpu0:.2f} s")
    print(f"resources per tenant: {sorted(sizes)} (14 each expected; the simulated cloud refuses a second target group, rule or record of one name)")
    ok = (codes.count(202) == n and counts.get("active", 0) == n + 1 and race.count(202) == 1 and race.count(409) == 19
          and sizes == {14})
    print("checks:", "ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)
finally:
    # SIGKILL: a child started with SIGTERM blocked (a test runner's) would ignore terminate().
    proc.kill()
    proc.wait(timeout=30)
    log.close()
    shutil.rmtree(tmp, ignore_errors=True)
