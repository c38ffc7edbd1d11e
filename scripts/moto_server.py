#!/usr/bin/env python3
"""moto_server whose conditional S3 writes are atomic, as S3's are.

moto 5.2.1 checks a PutObject's If-Match / If-None-Match (and a DeleteObject's If-Match) and
then writes in a separate step, on a threaded server, with nothing held in between. Two writers
holding the same ETag can both pass the check, and the second overwrites the first: a lost
update that S3 itself never allows. The S3 state backend's compare-and-swap on platform.json
relies on S3's guarantee; ShardTests (four shards applying one fleet at once) lost a whole
shard's allocations to this race in CI. Here each object write, check and store, runs under one
lock. Reads are not held. Nothing else differs from moto_server.

    python3 scripts/moto_server.py -H 127.0.0.1 -p PORT     (scripts/moto.sh starts it)
"""
import functools
import sys
import threading

from moto.s3.responses import S3Response
from moto.server import main

_WRITES = threading.RLock()


def _atomic(method):
    @functools.wraps(method)
    def held(self, *args, **kwargs):
        with _WRITES:
            return method(self, *args, **kwargs)

    return held


# PUT (PutObject, CopyObject, UploadPart), DELETE (DeleteObject) and POST (CompleteMultipartUpload)
# on a key: every path that checks a condition and then changes the object.
for _name in ("_key_response_put", "_key_response_delete", "_key_response_post"):
    setattr(S3Response, _name, _atomic(getattr(S3Response, _name)))

if __name__ == "__main__":
    main(sys.argv[1:])
