# SPDX-License-Identifier: MIT
"""CPython peer: the tempfile module that libtempfile follows.

    python3 python.py WORKLOAD N DIR   ->   "WORKLOAD python NS ns/op"

    named         tempfile.mkstemp(dir=DIR), os.close, os.unlink
    named-handle  tempfile.NamedTemporaryFile() in the temporary
                  directory, set to DIR (tempfile.tempdir = DIR), close
                  (deletes)
    dir-handle-empty
                  tempfile.TemporaryDirectory() in the temporary
                  directory DIR, cleanup()
    dir-handle-3  the same with three one-byte files f0 f1 f2 made inside
                  by path between the two (os.open(os.path.join(name,
                  "f0"), O_WRONLY|O_CREAT|O_CLOEXEC, 0o600), os.write of
                  one byte, os.close)
    unnamed       tempfile.TemporaryFile(dir=DIR), close
    mkdtemp       tempfile.mkdtemp(dir=DIR), os.rmdir
    tree          tempfile.TemporaryDirectory(dir=DIR) filled with the
                  tree (untimed), then .cleanup() timed (shutil.rmtree)
    spool-mem     tempfile.SpooledTemporaryFile(max_size=128 MiB), 16384
                  writes of 4 KiB, seek(0), 1024 reads of 64 KiB, close
                  (never rolls over: checked, _rolled is False)
    spool         the same with max_size=1 MiB, dir=DIR: rolls over to a
                  TemporaryFile in DIR (checked, _rolled is True)
    atomic        atomicwrites.atomic_write(DIR/target, mode="wb",
                  overwrite=True) writing 4 KiB (the atomicwrites package,
                  imported only for this workload)
    spool-stream-read-mem, spool-stream-read-rolled
                  SpooledTemporaryFile(max_size=0 (never rolls over) or
                  1 MiB (rolls over to a TemporaryFile in DIR), mode="w+b",
                  dir=DIR) filled with the 8 MB (untimed), then per pass
                  seek(0) and read(1 MiB) until empty
    spool-stream-lines-mem, spool-stream-lines-rolled
                  the same filling; per pass seek(0) and `for line in f`,
                  counting the lines
    spool-stream-write-mem, spool-stream-write-rolled
                  per pass a new SpooledTemporaryFile, f.write(record) for
                  each record, f.flush() (timed); the size, _rolled and
                  every byte checked and the file closed (untimed)

Same scheme as tfbench: one untimed repetition of N operations, then REPS
(11, or $TFBENCH_REPS) timed ones with time.perf_counter_ns; the median
time per operation is printed.  Unknown workload: exit 2.

tree is tfbench's: N is files per subdirectory; the directory gets 100
subdirectories d00..d99 of N one-byte files f00000.., made in that order
before every repetition, and one operation is one entry removed
(100 N + 101 per tree, counting the subdirectories and the top).

The spools are tfbench's: N is spools per repetition, each written 64 MiB
from one 4 KiB buffer whose byte i is (i * 131 + 7) & 255 and whose first
byte is set to the write's index & 255 before each write, then read back
from the start in 64 KiB reads, checking the first byte of every 4 KiB and
the rest of one 4 KiB in 16; one operation is one 4 KiB write and its
share of the reading back (16384 per spool).

The spool-stream workloads are tfstream's (bench/tfstream.c): N is passes
over 8,000,000 bytes, 100,000 records of 80 bytes, b"%08d %s\n" of the
record's index and one of 101 texts of 70 printable characters (the index
mod 101 picks it); one operation is one record.  Only the passes' timed
parts are added up (for write: creating the file, the writes and the
flush; the check and close are not timed).  _rolled is checked as for
the spools.  CPython has no putc or printf on a file: those are not run.

atomic is tfbench's: one operation is one complete replacement of
DIR/target with 4 KiB of new contents (byte i is (i * 131 + 7) & 255, the
first byte set to the operation's index & 255).  The target is created
once before the warm-up (untimed), so every operation replaces an existing
file; after the last repetition its contents are checked and it is removed.
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


# The handles are made in the temporary directory, set to d the way a
# program sets it (tempfile.tempdir), as libtempfile's are (tf_settempdir).
def named_handle(n, d):
    ntf = tempfile.NamedTemporaryFile
    tempfile.tempdir = d
    for _ in range(n):
        ntf().close()


def dir_handle_empty(n, d):
    td = tempfile.TemporaryDirectory
    tempfile.tempdir = d
    for _ in range(n):
        td().cleanup()


def dir_handle_3(n, d):
    td, join, open_, write, close = (tempfile.TemporaryDirectory,
                                     os.path.join, os.open, os.write, os.close)
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC
    tempfile.tempdir = d
    for _ in range(n):
        t = td()
        for f in ("f0", "f1", "f2"):
            fd = open_(join(t.name, f), flags, 0o600)
            write(fd, b"x")
            close(fd)
        t.cleanup()


def unnamed(n, d):
    tf = tempfile.TemporaryFile
    for _ in range(n):
        tf(dir=d).close()


def mkdtemp(n, d):
    mk, rmdir = tempfile.mkdtemp, os.rmdir
    for _ in range(n):
        rmdir(mk(dir=d))


TREE_SUBDIRS = 100


def fill_tree(top, n):
    """The tree's contents, made with the calls the C programs use."""
    mkdir, open_, write, close = os.mkdir, os.open, os.write, os.close
    dflags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
    fflags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    files = ["f%05d" % j for j in range(n)]
    topfd = open_(top, dflags)
    try:
        for i in range(TREE_SUBDIRS):
            sub = "d%02d" % i
            mkdir(sub, 0o700, dir_fd=topfd)
            sfd = open_(sub, dflags, dir_fd=topfd)
            for f in files:
                fd = open_(f, fflags, 0o600, dir_fd=sfd)
                write(fd, b"x")
                close(fd)
            close(sfd)
    finally:
        close(topfd)


def tree(n, d):
    """Build untimed, time the cleanup; returns its nanoseconds."""
    td = tempfile.TemporaryDirectory(dir=d)
    fill_tree(td.name, n)
    clock = time.perf_counter_ns
    t0 = clock()
    td.cleanup()
    return clock() - t0


SPOOL_TOTAL = 64 << 20
SPOOL_WRITE = 4 << 10
SPOOL_READ = 64 << 10
SPOOL_WRITES = SPOOL_TOTAL // SPOOL_WRITE
SPOOL_SRC = bytearray((i * 131 + 7) & 255 for i in range(SPOOL_WRITE))


def spool_once(max_size, d, rolled):
    """One spool of tfbench's pattern; exits 1 if anything differs."""
    src = SPOOL_SRC
    f = tempfile.SpooledTemporaryFile(max_size=max_size, dir=d)
    write = f.write
    for i in range(SPOOL_WRITES):
        src[0] = i & 255
        if write(src) != SPOOL_WRITE:
            sys.exit("python peer: short spool write")
    f.seek(0)
    read = f.read
    tail = bytes(src[1:])
    per = SPOOL_READ // SPOOL_WRITE
    for c in range(SPOOL_TOTAL // SPOOL_READ):
        got = read(SPOOL_READ)
        if len(got) != SPOOL_READ:
            sys.exit("python peer: short spool read")
        base = c * per
        for k in range(per):
            at = k * SPOOL_WRITE
            if got[at] != (base + k) & 255 or (
                    k % 16 == 0 and got[at + 1:at + SPOOL_WRITE] != tail):
                sys.exit("python peer: spool data differs at write %d"
                         % (base + k))
    if f._rolled != rolled:
        sys.exit("python peer: the spool rolled over, or did not")
    f.close()


def spool_mem(n, d):
    for _ in range(n):
        spool_once(2 * SPOOL_TOTAL, None, False)


def spool(n, d):
    for _ in range(n):
        spool_once(1 << 20, d, True)


ATOMIC_SIZE = 4096
ATOMIC_BUF = bytearray((i * 131 + 7) & 255 for i in range(ATOMIC_SIZE))
ATOMIC_OPS = [0]


def atomic_next():
    buf = ATOMIC_BUF
    buf[0] = ATOMIC_OPS[0] & 255
    ATOMIC_OPS[0] += 1
    return buf


def atomic(n, d):
    from atomicwrites import atomic_write
    target = os.path.join(d, "target")
    nxt = atomic_next
    for _ in range(n):
        with atomic_write(target, mode="wb", overwrite=True) as f:
            f.write(nxt())


def atomic_setup(d):
    """The target exists before the first operation (untimed)."""
    fd = os.open(os.path.join(d, "target"),
                 os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, atomic_next())
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_teardown(d):
    """The target holds the last contents; it is removed (untimed)."""
    target = os.path.join(d, "target")
    with open(target, "rb") as f:
        if f.read() != ATOMIC_BUF:
            sys.exit("python peer: the target does not hold the last contents")
    os.unlink(target)


STREAM_RECORD = 80
STREAM_RECORDS = 100000
STREAM_TOTAL = STREAM_RECORD * STREAM_RECORDS
STREAM_BLOCK = 1 << 20
STREAM_SAMPLE = 4096
STREAM_ROLLED_MAX = 1 << 20


def stream_records():
    """tfstream's 100,000 records of 80 bytes."""
    texts = [bytes(33 + (k * 37 + j * 11) % 94 for j in range(70))
             for k in range(101)]
    recs = [b"%08d %s\n" % (i, texts[i % 101]) for i in range(STREAM_RECORDS)]
    if any(len(r) != STREAM_RECORD for r in recs):
        sys.exit("python peer: a record is not 80 bytes")
    return recs


def stream_spool(rolled, d):
    return tempfile.SpooledTemporaryFile(
        max_size=STREAM_ROLLED_MAX if rolled else 0, mode="w+b", dir=d)


def stream_check_rolled(f, rolled):
    if f._rolled != rolled:
        sys.exit("python peer: the spool rolled over, or did not")


def stream_read_pass(f, data, want_sum):
    """One pass of read; returns its nanoseconds."""
    clock = time.perf_counter_ns
    t0 = clock()
    f.seek(0)
    read = f.read
    total = s = 0
    while True:
        blk = read(STREAM_BLOCK)
        if not blk:
            break
        s += sum(blk[-total % STREAM_SAMPLE::STREAM_SAMPLE])
        total += len(blk)
    t = clock() - t0
    if total != STREAM_TOTAL or s != want_sum:
        sys.exit("python peer: the bytes read are not the data")
    return t


def stream_lines_pass(f, last):
    """One pass of lines; returns its nanoseconds."""
    clock = time.perf_counter_ns
    t0 = clock()
    f.seek(0)
    count = 0
    line = b""
    for line in f:
        count += 1
    t = clock() - t0
    if count != STREAM_RECORDS or line != last:
        sys.exit("python peer: read %d lines, not %d (or not the data)"
                 % (count, STREAM_RECORDS))
    return t


def stream_write_pass(recs, data, rolled, d):
    """One pass of write; returns the nanoseconds of its timed part."""
    clock = time.perf_counter_ns
    t0 = clock()
    f = stream_spool(rolled, d)
    write = f.write
    for r in recs:
        write(r)
    f.flush()
    t = clock() - t0
    if f.tell() != STREAM_TOTAL:
        sys.exit("python peer: the spool does not hold 8,000,000 bytes")
    stream_check_rolled(f, rolled)
    f.seek(0)
    if f.read() != data:
        sys.exit("python peer: the spool does not hold what was written")
    f.close()
    return t


def stream_main(name, n, d, reps):
    """tfstream's workloads: the median over reps of n passes, per record."""
    pattern, mode = name[len("spool-stream-"):].split("-")
    rolled = mode == "rolled"
    recs = stream_records()
    data = b"".join(recs)
    f = None
    if pattern == "write":
        def one():
            return stream_write_pass(recs, data, rolled, d)
    else:
        f = stream_spool(rolled, d)
        f.write(data)
        f.flush()
        if pattern == "read":
            want = sum(data[::STREAM_SAMPLE])

            def one():
                return stream_read_pass(f, data, want)
        else:
            def one():
                return stream_lines_pass(f, recs[-1])
    for _ in range(n):  # warm-up
        one()
    per_op = []
    for _ in range(reps):
        per_op.append(sum(one() for _ in range(n)) / (n * STREAM_RECORDS))
    if f is not None:
        stream_check_rolled(f, rolled)
        f.close()
    print("%s python %.2f ns/op" % (name, statistics.median(per_op)))
    return 0


STREAMS = ["spool-stream-%s-%s" % (p, m) for p in ("read", "lines", "write")
           for m in ("mem", "rolled")]


SETUPS = {"atomic": atomic_setup}
TEARDOWNS = {"atomic": atomic_teardown}


WORKLOADS = {
    "named": named,
    "named-handle": named_handle,
    "dir-handle-empty": dir_handle_empty,
    "dir-handle-3": dir_handle_3,
    "unnamed": unnamed,
    "mkdtemp": mkdtemp,
    "tree": tree,
    "spool-mem": spool_mem,
    "spool": spool,
    "atomic": atomic,
}


def main(argv):
    if len(argv) != 4:
        print("usage: python.py WORKLOAD N DIR", file=sys.stderr)
        return 2
    work = WORKLOADS.get(argv[1])
    if work is None and argv[1] not in STREAMS:
        print("python peer: unknown workload %r (%s)"
              % (argv[1], ", ".join(list(WORKLOADS) + STREAMS)),
              file=sys.stderr)
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
    if argv[1] in STREAMS:
        return stream_main(argv[1], n, d, reps)
    if argv[1] == "tree":
        entries = TREE_SUBDIRS * n + TREE_SUBDIRS + 1
        tree(n, d)  # warm-up
        per_op = [tree(n, d) / entries for _ in range(reps)]
        print("tree python %.1f ns/op" % statistics.median(per_op))
        return 0
    ops = n * SPOOL_WRITES if argv[1].startswith("spool") else n
    clock = time.perf_counter_ns
    if argv[1] in SETUPS:
        SETUPS[argv[1]](d)
    work(n, d)  # warm-up
    per_op = []
    for _ in range(reps):
        t0 = clock()
        work(n, d)
        per_op.append((clock() - t0) / ops)
    if argv[1] in TEARDOWNS:
        TEARDOWNS[argv[1]](d)
    print("%s python %.1f ns/op" % (argv[1], statistics.median(per_op)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
