#!/usr/bin/env python3
"""crash_after_apply.py CMD...: runs a plugin and passes messages through, but when the answer
to the first `apply` create comes back, swallows it, kills the plugin and exits 1: the thing
was made, and Landlord never hears of it (a crash between the provider's work and its answer)."""
import json
import subprocess
import sys
import threading

child = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
creates = set()
lock = threading.Lock()


def pump_out():
    for line in child.stdout:
        msg = json.loads(line)
        with lock:
            hit = msg.get("id") in creates
        if hit:
            print("crash_after_apply: swallowed the answer to request %s and crashed" % msg["id"], file=sys.stderr, flush=True)
            child.kill()
            sys.stdout.flush()
            import os
            os._exit(1)
        sys.stdout.write(line)
        sys.stdout.flush()


threading.Thread(target=pump_out, daemon=True).start()
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("method") == "apply" and msg["params"]["operation"] == "create":
        with lock:
            if not creates:
                creates.add(msg["id"])
    child.stdin.write(line)
    child.stdin.flush()
child.stdin.close()
child.wait()
