// SPDX-License-Identifier: MIT
//go:build renameio
// +build renameio

// The atomic workload of the Go peer: renameio.WriteFile from
// github.com/google/renameio/v2 (Debian: golang-github-google-renameio-dev,
// found offline through GOPATH; bench/run.sh builds with -tags renameio).
//
//	atomic  renameio.WriteFile(DIR/target, buf, 0644)
//
// tfbench's atomic workload: one operation is one complete replacement of
// DIR/target with 4 KiB of new contents (byte i is i * 131 + 7, the first
// byte set to the operation's index).  The target is created once before
// the warm-up (untimed), so every operation replaces an existing file;
// after the last repetition its contents are checked and it is removed.
//
// renameio fsyncs the new file before the rename but, by design, never
// the directory: the replacement is atomic, not durable.  Called without
// WithTempDir, as here, every WriteFile first probes whether os.TempDir()
// can hold the temporary file (a rename between two test files it
// creates); when it can, the file is made there rather than in DIR.
package main

import (
	"bytes"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

const atomicSize = 4096

var (
	atomicBuf = func() []byte {
		b := make([]byte, atomicSize)
		for i := range b {
			b[i] = byte(i*131 + 7)
		}
		return b
	}()
	atomicOps uint
)

func atomicNext() []byte {
	atomicBuf[0] = byte(atomicOps)
	atomicOps++
	return atomicBuf
}

func atomicReplace(n int, dir string) {
	target := filepath.Join(dir, "target")
	for i := 0; i < n; i++ {
		check("renameio.WriteFile", renameio.WriteFile(target, atomicNext(), 0644))
	}
}

func init() {
	workloads["atomic"] = atomicReplace
	setups["atomic"] = func(dir string) {
		f, err := os.OpenFile(filepath.Join(dir, "target"),
			os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0644)
		check("create the target", err)
		_, err = f.Write(atomicNext())
		check("Write", err)
		check("Sync", f.Sync())
		check("Close", f.Close())
	}
	teardowns["atomic"] = func(dir string) {
		target := filepath.Join(dir, "target")
		got, err := os.ReadFile(target)
		check("read the target", err)
		if !bytes.Equal(got, atomicBuf) {
			check("the target", os.ErrInvalid)
		}
		check("remove the target", os.Remove(target))
	}
}
