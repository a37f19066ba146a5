// SPDX-License-Identifier: MIT
//! Rust peer: the tempfile crate (3.3, as Debian ships it).
//!
//!     rust-peer WORKLOAD N DIR   ->   "WORKLOAD rust NS ns/op"
//!
//!     named         NamedTempFile::new_in(DIR), drop (drop deletes)
//!     named-handle  NamedTempFile::new() in the temporary directory, set
//!                   to DIR (TMPDIR, which std::env::temp_dir() reads),
//!                   drop: NamedTempFile is the crate's handle
//!     unnamed       tempfile::tempfile_in(DIR), drop
//!     mkdtemp       TempDir::new_in(DIR), drop (drop removes it)
//!     dir-handle-empty
//!                   TempDir::new() in the temporary directory DIR (as
//!                   named-handle), drop
//!     dir-handle-3  the same with three one-byte files f0 f1 f2 made
//!                   inside by path between the two (OpenOptions write,
//!                   create, mode 0o600, open(path.join("f0")), write_all
//!                   of one byte, drop)
//!     tree          TempDir::new_in(DIR) filled with the tree (untimed),
//!                   then .close() timed: std::fs::remove_dir_all, which
//!                   Debian's tempfile 3.3 reaches through the
//!                   remove_dir_all crate (a re-export of std's on Unix)
//!     spool-mem     tempfile::spooled_tempfile(128 MiB), 16384 writes of
//!                   4 KiB, seek to 0, 1024 reads of 64 KiB, drop (never
//!                   rolls over: checked, is_rolled() is false)
//!     spool         the same with max_size 1 MiB: rolls over (checked).
//!                   The crate (3.3) has no spooled_tempfile_in: its
//!                   rollover calls tempfile::tempfile(), which creates
//!                   in std::env::temp_dir(), so TMPDIR is set to DIR
//!                   before the first spool
//!     spool-stream-read-mem, spool-stream-read-rolled
//!                   spooled_tempfile(1 GiB: never reached, as 0 would
//!                   roll over at the first byte; or 1 MiB: rolls over)
//!                   filled with the 8 MB (untimed), then per pass a seek
//!                   to 0 and a BufReader on it, read() into a 1 MiB
//!                   buffer until 0
//!     spool-stream-lines-mem, spool-stream-lines-rolled
//!                   the same filling; per pass a seek to 0 and a
//!                   BufReader, read_until(b'\n') into one reused Vec,
//!                   counting the lines
//!     spool-stream-write-mem, spool-stream-write-rolled
//!                   per pass a new spooled_tempfile and a BufWriter on
//!                   it, write_all of each record, flush (timed); then
//!                   is_rolled(), the size and every byte checked and the
//!                   file dropped (untimed)
//!     spool-stream-putc-mem, spool-stream-putc-rolled
//!                   the same with write_all of one byte at a time
//!     spool-stream-printf-mem, spool-stream-printf-rolled
//!                   the same with write!(w, "{:08} {}\n", index, text)
//!                   per record
//!                   For -rolled the rollover's file goes to TMPDIR, set
//!                   to DIR, as for spool
//!
//! Same scheme as tfbench: one untimed repetition of N operations, then
//! REPS (11, or $TFBENCH_REPS) timed ones with std::time::Instant (a
//! CLOCK_MONOTONIC reading); the median time per operation is printed.
//! Unknown workload: exit 2.
//!
//! tree is tfbench's: N is files per subdirectory; the directory gets 100
//! subdirectories d00..d99 of N one-byte files f00000.., made in that
//! order before every repetition, and one operation is one entry removed
//! (100 N + 101 per tree, counting the subdirectories and the top).
//!
//! The spools are tfbench's: N is spools per repetition, each written
//! 64 MiB from one 4 KiB buffer whose byte i is (i * 131 + 7) & 255 and
//! whose first byte is set to the write's index & 255 before each write,
//! then read back from the start in 64 KiB reads, checking the first byte
//! of every 4 KiB and the rest of one 4 KiB in 16; one operation is one
//! 4 KiB write and its share of the reading back (16384 per spool).
//!
//! The spool-stream workloads are tfstream's (bench/tfstream.c): N is
//! passes over 8,000,000 bytes, 100,000 records of 80 bytes, "{:08} {}\n"
//! of the record's index and one of 101 texts of 70 printable characters
//! (the index mod 101 picks it); one operation is one record.  Only the
//! passes' timed parts are added up (for the writes: creating the spool,
//! the writes and the flush; the check and the drop are not timed).

use std::env;
use std::fs::{DirBuilder, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::process::exit;
use std::time::Instant;

use tempfile::{NamedTempFile, SpooledTempFile, TempDir};

fn fail(what: &str, err: std::io::Error) -> ! {
    eprintln!("rust peer: {}: {}", what, err);
    exit(1)
}

fn named(n: usize, dir: &Path) {
    for _ in 0..n {
        let f = NamedTempFile::new_in(dir).unwrap_or_else(|e| fail("NamedTempFile::new_in", e));
        f.close().unwrap_or_else(|e| fail("NamedTempFile::close", e));
    }
}

fn unnamed(n: usize, dir: &Path) {
    for _ in 0..n {
        let f = tempfile::tempfile_in(dir).unwrap_or_else(|e| fail("tempfile_in", e));
        drop(f);
    }
}

fn mkdtemp(n: usize, dir: &Path) {
    for _ in 0..n {
        let d = TempDir::new_in(dir).unwrap_or_else(|e| fail("TempDir::new_in", e));
        d.close().unwrap_or_else(|e| fail("TempDir::close", e));
    }
}

/// The handles are made in the temporary directory, set to dir the way a
/// program sets it (TMPDIR, which std::env::temp_dir() reads).
fn in_temp_dir(dir: &Path) {
    std::env::set_var("TMPDIR", dir);
}

fn named_handle(n: usize, dir: &Path) {
    in_temp_dir(dir);
    for _ in 0..n {
        let f = NamedTempFile::new().unwrap_or_else(|e| fail("NamedTempFile::new", e));
        f.close().unwrap_or_else(|e| fail("NamedTempFile::close", e));
    }
}

fn dir_handle(n: usize, dir: &Path, files: &[&str]) {
    in_temp_dir(dir);
    for _ in 0..n {
        let d = TempDir::new().unwrap_or_else(|e| fail("TempDir::new", e));
        for name in files {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .mode(0o600)
                .open(d.path().join(name))
                .unwrap_or_else(|e| fail("open", e));
            f.write_all(b"x").unwrap_or_else(|e| fail("write", e));
        }
        drop(d);
    }
}

fn dir_handle_empty(n: usize, dir: &Path) {
    dir_handle(n, dir, &[]);
}

fn dir_handle_3(n: usize, dir: &Path) {
    dir_handle(n, dir, &["f0", "f1", "f2"]);
}

const TREE_SUBDIRS: usize = 100;

/// Build the tree in a TempDir (untimed); returns the nanoseconds
/// TempDir::close takes.
fn tree(n: usize, dir: &Path) -> f64 {
    let td = TempDir::new_in(dir).unwrap_or_else(|e| fail("TempDir::new_in", e));
    let mut mkdir = DirBuilder::new();
    mkdir.mode(0o700);
    for i in 0..TREE_SUBDIRS {
        let sub = td.path().join(format!("d{:02}", i));
        mkdir.create(&sub).unwrap_or_else(|e| fail("create_dir", e));
        for j in 0..n {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(sub.join(format!("f{:05}", j)))
                .unwrap_or_else(|e| fail("open", e));
            f.write_all(b"x").unwrap_or_else(|e| fail("write", e));
        }
    }
    let t0 = Instant::now();
    td.close().unwrap_or_else(|e| fail("TempDir::close", e));
    t0.elapsed().as_nanos() as f64
}

const SPOOL_TOTAL: usize = 64 << 20;
const SPOOL_WRITE: usize = 4 << 10;
const SPOOL_READ: usize = 64 << 10;
const SPOOL_WRITES: usize = SPOOL_TOTAL / SPOOL_WRITE;

/// One spool of tfbench's pattern; exits 1 if anything differs.
fn spool_once(max_size: usize, rolled: bool, src: &mut [u8], dst: &mut [u8]) {
    let mut f = tempfile::spooled_tempfile(max_size);
    for i in 0..SPOOL_WRITES {
        src[0] = i as u8;
        match f.write(src) {
            Ok(w) if w == SPOOL_WRITE => {}
            Ok(_) => fail("SpooledTempFile::write", std::io::ErrorKind::WriteZero.into()),
            Err(e) => fail("SpooledTempFile::write", e),
        }
    }
    f.seek(SeekFrom::Start(0)).unwrap_or_else(|e| fail("SpooledTempFile::seek", e));
    let per = SPOOL_READ / SPOOL_WRITE;
    for c in 0..SPOOL_TOTAL / SPOOL_READ {
        match f.read(dst) {
            Ok(r) if r == SPOOL_READ => {}
            Ok(_) => fail("SpooledTempFile::read", std::io::ErrorKind::UnexpectedEof.into()),
            Err(e) => fail("SpooledTempFile::read", e),
        }
        let base = c * per;
        for k in 0..per {
            let got = &dst[k * SPOOL_WRITE..(k + 1) * SPOOL_WRITE];
            if got[0] != (base + k) as u8 || (k % 16 == 0 && got[1..] != src[1..]) {
                eprintln!("rust peer: spool data differs at write {}", base + k);
                exit(1);
            }
        }
    }
    if f.is_rolled() != rolled {
        eprintln!("rust peer: the spool rolled over, or did not");
        exit(1);
    }
    drop(f);
}

fn spool_n(n: usize, max_size: usize, rolled: bool) {
    let mut src = vec![0u8; SPOOL_WRITE];
    for (i, b) in src.iter_mut().enumerate() {
        *b = (i * 131 + 7) as u8;
    }
    let mut dst = vec![0u8; SPOOL_READ];
    for _ in 0..n {
        spool_once(max_size, rolled, &mut src, &mut dst);
    }
}

fn spool_mem(n: usize, _dir: &Path) {
    spool_n(n, 2 * SPOOL_TOTAL, false);
}

fn spool(n: usize, _dir: &Path) {
    // The rollover's file goes to std::env::temp_dir(), which is TMPDIR
    // (set to DIR in main).
    spool_n(n, 1 << 20, true);
}

const ST_RECORD: usize = 80;
const ST_RECORDS: usize = 100_000;
const ST_TOTAL: usize = ST_RECORD * ST_RECORDS;
const ST_TEXTS: usize = 101;
const ST_BLOCK: usize = 1 << 20;
const ST_SAMPLE: usize = 4096;
const ST_ROLLED_MAX: usize = 1 << 20;
const ST_MEM_MAX: usize = 1 << 30;

#[derive(Clone, Copy, PartialEq)]
enum Pattern {
    Read,
    Lines,
    Write,
    Putc,
    Printf,
}

/// spool-stream-PATTERN-MODE -> (pattern, rolled)
fn stream_workload(name: &str) -> Option<(Pattern, bool)> {
    let rest = name.strip_prefix("spool-stream-")?;
    let (p, m) = rest.split_once('-')?;
    let pattern = match p {
        "read" => Pattern::Read,
        "lines" => Pattern::Lines,
        "write" => Pattern::Write,
        "putc" => Pattern::Putc,
        "printf" => Pattern::Printf,
        _ => return None,
    };
    match m {
        "mem" => Some((pattern, false)),
        "rolled" => Some((pattern, true)),
        _ => None,
    }
}

struct StreamData {
    texts: Vec<String>,
    data: Vec<u8>,
}

/// tfstream's 100,000 records of 80 bytes, and its 101 texts.
fn stream_data() -> StreamData {
    let texts: Vec<String> = (0..ST_TEXTS)
        .map(|k| (0..70).map(|j| (33 + (k * 37 + j * 11) % 94) as u8 as char).collect())
        .collect();
    let mut data = Vec::with_capacity(ST_TOTAL);
    for i in 0..ST_RECORDS {
        write!(&mut data, "{:08} {}\n", i, texts[i % ST_TEXTS]).unwrap();
    }
    if data.len() != ST_TOTAL {
        eprintln!("rust peer: a record is not 80 bytes");
        exit(1);
    }
    StreamData { texts, data }
}

fn new_stream_spool(rolled: bool) -> SpooledTempFile {
    tempfile::spooled_tempfile(if rolled { ST_ROLLED_MAX } else { ST_MEM_MAX })
}

fn check_rolled(f: &SpooledTempFile, rolled: bool) {
    if f.is_rolled() != rolled {
        eprintln!("rust peer: the spool rolled over, or did not");
        exit(1);
    }
}

/// One pass of read; returns its nanoseconds.
fn read_pass(f: &mut SpooledTempFile, buf: &mut [u8], want_sum: u64) -> f64 {
    let t0 = Instant::now();
    f.seek(SeekFrom::Start(0)).unwrap_or_else(|e| fail("SpooledTempFile::seek", e));
    let mut r = BufReader::new(&mut *f);
    let (mut total, mut sum) = (0usize, 0u64);
    loop {
        let got = r.read(buf).unwrap_or_else(|e| fail("BufReader::read", e));
        if got == 0 {
            break;
        }
        let mut p = (total + ST_SAMPLE - 1) / ST_SAMPLE * ST_SAMPLE;
        while p < total + got {
            sum += buf[p - total] as u64;
            p += ST_SAMPLE;
        }
        total += got;
    }
    drop(r);
    let t = t0.elapsed().as_nanos() as f64;
    if total != ST_TOTAL || sum != want_sum {
        eprintln!("rust peer: the bytes read are not the data");
        exit(1);
    }
    t
}

/// One pass of lines; returns its nanoseconds.
fn lines_pass(f: &mut SpooledTempFile, line: &mut Vec<u8>) -> f64 {
    let t0 = Instant::now();
    f.seek(SeekFrom::Start(0)).unwrap_or_else(|e| fail("SpooledTempFile::seek", e));
    let mut r = BufReader::new(&mut *f);
    let (mut count, mut total) = (0usize, 0usize);
    loop {
        line.clear();
        let n = r.read_until(b'\n', line).unwrap_or_else(|e| fail("read_until", e));
        if n == 0 {
            break;
        }
        total += n;
        count += 1;
    }
    drop(r);
    let t = t0.elapsed().as_nanos() as f64;
    if count != ST_RECORDS || total != ST_TOTAL {
        eprintln!("rust peer: read {} lines, not {}", count, ST_RECORDS);
        exit(1);
    }
    t
}

/// One pass of write, putc or printf: the timed part's nanoseconds.
fn write_pass(pattern: Pattern, rolled: bool, sd: &StreamData, back: &mut Vec<u8>) -> f64 {
    let t0 = Instant::now();
    let mut f = new_stream_spool(rolled);
    {
        let mut w = BufWriter::new(&mut f);
        let res = match pattern {
            Pattern::Write => sd
                .data
                .chunks(ST_RECORD)
                .try_for_each(|rec| w.write_all(rec)),
            Pattern::Putc => sd.data.iter().try_for_each(|b| w.write_all(std::slice::from_ref(b))),
            _ => (0..ST_RECORDS)
                .try_for_each(|i| write!(w, "{:08} {}\n", i, sd.texts[i % ST_TEXTS])),
        };
        res.unwrap_or_else(|e| fail("BufWriter::write", e));
        w.flush().unwrap_or_else(|e| fail("BufWriter::flush", e));
    }
    let t = t0.elapsed().as_nanos() as f64;
    check_rolled(&f, rolled);
    f.seek(SeekFrom::Start(0)).unwrap_or_else(|e| fail("SpooledTempFile::seek", e));
    back.clear();
    f.read_to_end(back).unwrap_or_else(|e| fail("SpooledTempFile::read", e));
    if *back != sd.data {
        eprintln!("rust peer: the spool does not hold what was written");
        exit(1);
    }
    t
}

/// tfstream's workloads: the median over reps of n passes, per record.
fn stream_main(pattern: Pattern, rolled: bool, n: usize, reps: usize) -> f64 {
    let sd = stream_data();
    let mut filled = None;
    if pattern == Pattern::Read || pattern == Pattern::Lines {
        let mut f = new_stream_spool(rolled);
        f.write_all(&sd.data).unwrap_or_else(|e| fail("SpooledTempFile::write", e));
        filled = Some(f);
    }
    let want_sum: u64 = sd.data.iter().step_by(ST_SAMPLE).map(|&b| b as u64).sum();
    let mut buf = vec![0u8; ST_BLOCK];
    let mut line = Vec::with_capacity(256);
    let mut back = Vec::with_capacity(ST_TOTAL);
    let mut one = || match (pattern, filled.as_mut()) {
        (Pattern::Read, Some(f)) => read_pass(f, &mut buf, want_sum),
        (Pattern::Lines, Some(f)) => lines_pass(f, &mut line),
        _ => write_pass(pattern, rolled, &sd, &mut back),
    };
    for _ in 0..n {
        one(); // warm-up
    }
    let mut per_op: Vec<f64> = (0..reps)
        .map(|_| (0..n).map(|_| one()).sum::<f64>() / (n * ST_RECORDS) as f64)
        .collect();
    if let Some(f) = filled.as_ref() {
        check_rolled(f, rolled);
    }
    per_op.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if reps % 2 == 1 {
        per_op[reps / 2]
    } else {
        (per_op[reps / 2 - 1] + per_op[reps / 2]) / 2.0
    }
}

fn main() {
    let args: Vec<String> = env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: rust-peer WORKLOAD N DIR");
        exit(2);
    }
    // The spool-stream workloads: their own loop (stream_main).
    let stream = stream_workload(&args[1]);
    // None: tree, which times its removal only (its own loop below), and
    // the spool-stream workloads.
    let work: Option<fn(usize, &Path)> = match args[1].as_str() {
        "named" => Some(named),
        "named-handle" => Some(named_handle),
        "unnamed" => Some(unnamed),
        "mkdtemp" => Some(mkdtemp),
        "dir-handle-empty" => Some(dir_handle_empty),
        "dir-handle-3" => Some(dir_handle_3),
        "tree" => None,
        "spool-mem" => Some(spool_mem),
        "spool" => Some(spool),
        _ if stream.is_some() => None,
        other => {
            eprintln!("rust peer: unknown workload '{}' (named, named-handle, unnamed, mkdtemp, dir-handle-empty, dir-handle-3, tree, spool-mem, spool, spool-stream-{{read,lines,write,putc,printf}}-{{mem,rolled}})", other);
            exit(2);
        }
    };
    let n: usize = match args[2].parse() {
        Ok(n) if n >= 1 => n,
        _ => {
            eprintln!("rust peer: bad N '{}'", args[2]);
            exit(2);
        }
    };
    let reps: usize = match env::var("TFBENCH_REPS") {
        Ok(s) if !s.is_empty() => match s.parse() {
            Ok(r) if r >= 1 => r,
            _ => {
                eprintln!("rust peer: bad TFBENCH_REPS");
                exit(2);
            }
        },
        _ => 11,
    };
    let dir = Path::new(&args[3]);
    if let Some((pattern, rolled)) = stream {
        if rolled {
            // (the rollover's file goes to std::env::temp_dir())
            env::set_var("TMPDIR", dir);
        }
        let med = stream_main(pattern, rolled, n, reps);
        println!("{} rust {:.2} ns/op", args[1], med);
        return;
    }
    // Spools: one operation is one 4 KiB write; and spool's rollover
    // creates its file in std::env::temp_dir(), the crate having no
    // spooled_tempfile_in.
    let ops = if args[1].starts_with("spool") { n * SPOOL_WRITES } else { n };
    if args[1] == "spool" {
        env::set_var("TMPDIR", dir);
    }

    let mut per_op: Vec<f64> = Vec::with_capacity(reps);
    if let Some(work) = work {
        work(n, dir); // warm-up
        for _ in 0..reps {
            let t0 = Instant::now();
            work(n, dir);
            per_op.push(t0.elapsed().as_nanos() as f64 / ops as f64);
        }
    } else {
        let entries = (TREE_SUBDIRS * n + TREE_SUBDIRS + 1) as f64;
        tree(n, dir); // warm-up
        for _ in 0..reps {
            per_op.push(tree(n, dir) / entries);
        }
    }
    per_op.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let med = if reps % 2 == 1 {
        per_op[reps / 2]
    } else {
        (per_op[reps / 2 - 1] + per_op[reps / 2]) / 2.0
    };
    println!("{} rust {:.1} ns/op", args[1], med);
}
