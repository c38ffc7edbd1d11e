#!/usr/bin/env python3
"""capture.py LOG CMD...: runs a plugin and appends every line between host and plugin to LOG
("> " host to plugin, "< " plugin to host), so tests validate real messages."""
import subprocess
import sys
import threading

log = open(sys.argv[1], "a", buffering=1)
lock = threading.Lock()
child = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)


def pump_out():
    for line in child.stdout:
        with lock:
            log.write("< " + line)
        sys.stdout.write(line)
        sys.stdout.flush()


t = threading.Thread(target=pump_out)
t.start()
for line in sys.stdin:
    with lock:
        log.write("> " + line)
    try:
        child.stdin.write(line)
        child.stdin.flush()
    except BrokenPipeError:
        break
try:
    child.stdin.close()
except BrokenPipeError:
    pass
t.join()
sys.exit(child.wait())
