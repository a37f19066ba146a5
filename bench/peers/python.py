"""CPython peer: the tempfile module that libtempfile follows.

    python3 python.py WORKLOAD N DIR   ->   "WORKLOAD python NS ns/op"

    named         tempfile.mkstemp(dir=DIR), os.close, os.unlink
    named-handle  tempfile.NamedTemporaryFile(dir=DIR), close (deletes)
    unnamed       tempfile.TemporaryFile(dir=DIR), close
    mkdtemp       tempfile.mkdtemp(dir=DIR), os.rmdir

Same scheme as tfbench: one untimed repetition of N operations, then REPS
(11, or $TFBENCH_REPS) timed ones with time.perf_counter_ns; the median
time per operation is printed.  Unknown workload: exit 2.
"""

import os
import statistics
import sys
import tempfile
import time


def named(n, d):
    mkstemp, close, unlink = tempfile.mkstemp, os.close, os.unlink
    for _ in range(n):
        fd, path = mkstemp(dir=d)
        close(fd)
        unlink(path)


def named_handle(n, d):
    ntf = tempfile.NamedTemporaryFile
    for _ in range(n):
        ntf(dir=d).close()


def unnamed(n, d):
    tf = tempfile.TemporaryFile
    for _ in range(n):
        tf(dir=d).close()


def mkdtemp(n, d):
    mk, rmdir = tempfile.mkdtemp, os.rmdir
    for _ in range(n):
        rmdir(mk(dir=d))


WORKLOADS = {
    "named": named,
    "named-handle": named_handle,
    "unnamed": unnamed,
    "mkdtemp": mkdtemp,
}


def main(argv):
    if len(argv) != 4:
        print("usage: python.py WORKLOAD N DIR", file=sys.stderr)
        return 2
    work = WORKLOADS.get(argv[1])
    if work is None:
        print("python peer: unknown workload %r (%s)"
              % (argv[1], ", ".join(WORKLOADS)), file=sys.stderr)
        return 2
    try:
        n = int(argv[2])
    except ValueError:
        n = 0
    if n < 1:
        print("python peer: bad N %r" % argv[2], file=sys.stderr)
        return 2
    reps = int(os.environ.get("TFBENCH_REPS") or 11)
    d = argv[3]
    clock = time.perf_counter_ns
    work(n, d)  # warm-up
    per_op = []
    for _ in range(reps):
        t0 = clock()
        work(n, d)
        per_op.append((clock() - t0) / n)
    print("%s python %.1f ns/op" % (argv[1], statistics.median(per_op)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
