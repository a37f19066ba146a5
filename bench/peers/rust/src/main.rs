//! Rust peer: the tempfile crate (3.3, as Debian ships it).
//!
//!     rust-peer WORKLOAD N DIR   ->   "WORKLOAD rust NS ns/op"
//!
//!     named         NamedTempFile::new_in(DIR), drop (drop deletes)
//!     named-handle  the same: NamedTempFile is the crate's handle
//!     unnamed       tempfile::tempfile_in(DIR), drop
//!     mkdtemp       TempDir::new_in(DIR), drop (drop removes it)
//!
//! Same scheme as tfbench: one untimed repetition of N operations, then
//! REPS (11, or $TFBENCH_REPS) timed ones with std::time::Instant (a
//! CLOCK_MONOTONIC reading); the median time per operation is printed.
//! Unknown workload: exit 2.

use std::env;
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

fn main() {
    let args: Vec<String> = env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: rust-peer WORKLOAD N DIR");
        exit(2);
    }
    let work: fn(usize, &Path) = match args[1].as_str() {
        "named" | "named-handle" => named,
        "unnamed" => unnamed,
        "mkdtemp" => mkdtemp,
        other => {
            eprintln!("rust peer: unknown workload '{}' (named, named-handle, unnamed, mkdtemp)", other);
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

    work(n, dir); // warm-up
    let mut per_op: Vec<f64> = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t0 = Instant::now();
        work(n, dir);
        per_op.push(t0.elapsed().as_nanos() as f64 / n as f64);
    }
    per_op.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let med = if reps % 2 == 1 {
        per_op[reps / 2]
    } else {
        (per_op[reps / 2 - 1] + per_op[reps / 2]) / 2.0
    };
    println!("{} rust {:.1} ns/op", args[1], med);
}
