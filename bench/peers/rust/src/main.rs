//! Rust peer: the tempfile crate (3.3, as Debian ships it).
//!
//!     rust-peer WORKLOAD N DIR   ->   "WORKLOAD rust NS ns/op"
//!
//!     named         NamedTempFile::new_in(DIR), drop (drop deletes)
//!     named-handle  the same: NamedTempFile is the crate's handle
//!     unnamed       tempfile::tempfile_in(DIR), drop
//!     mkdtemp       TempDir::new_in(DIR), drop (drop removes it)
//!     tree          TempDir::new_in(DIR) filled with the tree (untimed),
//!                   then .close() timed: std::fs::remove_dir_all, which
//!                   Debian's tempfile 3.3 reaches through the
//!                   remove_dir_all crate (a re-export of std's on Unix)
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

use std::env;
use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::process::exit;
use std::time::Instant;

use tempfile::{NamedTempFile, TempDir};

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

fn main() {
    let args: Vec<String> = env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: rust-peer WORKLOAD N DIR");
        exit(2);
    }
    // None: tree, which times its removal only (its own loop below).
    let work: Option<fn(usize, &Path)> = match args[1].as_str() {
        "named" | "named-handle" => Some(named),
        "unnamed" => Some(unnamed),
        "mkdtemp" => Some(mkdtemp),
        "tree" => None,
        other => {
            eprintln!("rust peer: unknown workload '{}' (named, named-handle, unnamed, mkdtemp, tree)", other);
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

    let mut per_op: Vec<f64> = Vec::with_capacity(reps);
    if let Some(work) = work {
        work(n, dir); // warm-up
        for _ in 0..reps {
            let t0 = Instant::now();
            work(n, dir);
            per_op.push(t0.elapsed().as_nanos() as f64 / n as f64);
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
