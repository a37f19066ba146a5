// SPDX-License-Identifier: MIT
// Go peer: the standard library's os.CreateTemp and os.MkdirTemp.
//
//	go-peer WORKLOAD N DIR   ->   "WORKLOAD go NS ns/op"
//
//	named    os.CreateTemp(DIR, "tmp*"), Close, os.Remove
//	named-handle
//	         os.CreateTemp("", "tmp*") in the temporary directory, set to
//	         DIR (TMPDIR, which os.TempDir reads), Close, os.Remove:
//	         *os.File is Go's handle, and nothing removes it but os.Remove
//	unnamed  Go has no unnamed-file API: os.CreateTemp, os.Remove at once,
//	         Close
//	mkdtemp  os.MkdirTemp(DIR, "tmp*"), os.Remove
//	tree     os.MkdirTemp(DIR, "tmp*") filled with the tree (untimed),
//	         then os.RemoveAll timed
//	dir-handle-empty
//	         os.MkdirTemp("", "tmp*") in the temporary directory DIR (as
//	         named-handle), os.RemoveAll
//	dir-handle-3
//	         the same with three one-byte files f0 f1 f2 made inside by
//	         path between the two (os.OpenFile(filepath.Join(dir, "f0"),
//	         O_WRONLY|O_CREATE, 0600), Write of one byte, Close)
//
// Same scheme as tfbench: one untimed repetition of N operations, then
// REPS (11, or $TFBENCH_REPS) timed ones; the median time per operation
// is printed.  Unknown workload: exit 2.  No modules, no dependencies.
//
// tree is tfbench's: N is files per subdirectory; the directory gets 100
// subdirectories d00..d99 of N one-byte files f00000.., made in that
// order before every repetition, and one operation is one entry removed
// (100 N + 101 per tree, counting the subdirectories and the top).
//
// atomic.go (build tag renameio) adds the atomic workload, which needs
// github.com/google/renameio/v2; without the tag the peer builds from the
// standard library alone and does not know it.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

func check(what string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "go peer: %s: %v\n", what, err)
		os.Exit(1)
	}
}

func named(n int, dir string) {
	for i := 0; i < n; i++ {
		f, err := os.CreateTemp(dir, "tmp*")
		check("CreateTemp", err)
		check("Close", f.Close())
		check("Remove", os.Remove(f.Name()))
	}
}

func unnamed(n int, dir string) {
	for i := 0; i < n; i++ {
		f, err := os.CreateTemp(dir, "tmp*")
		check("CreateTemp", err)
		check("Remove", os.Remove(f.Name()))
		check("Close", f.Close())
	}
}

func mkdtemp(n int, dir string) {
	for i := 0; i < n; i++ {
		p, err := os.MkdirTemp(dir, "tmp*")
		check("MkdirTemp", err)
		check("Remove", os.Remove(p))
	}
}

// The handles are made in the temporary directory, set to dir the way a
// program sets it (TMPDIR, which os.TempDir() reads).
func inTempDir(dir string) { check("Setenv", os.Setenv("TMPDIR", dir)) }

func namedHandle(n int, dir string) {
	inTempDir(dir)
	for i := 0; i < n; i++ {
		f, err := os.CreateTemp("", "tmp*")
		check("CreateTemp", err)
		check("Close", f.Close())
		check("Remove", os.Remove(f.Name()))
	}
}

func dirHandle(n int, dir string, files []string) {
	one := []byte("x")
	inTempDir(dir)
	for i := 0; i < n; i++ {
		p, err := os.MkdirTemp("", "tmp*")
		check("MkdirTemp", err)
		for _, name := range files {
			f, err := os.OpenFile(filepath.Join(p, name), os.O_WRONLY|os.O_CREATE, 0600)
			check("OpenFile", err)
			_, err = f.Write(one)
			check("Write", err)
			check("Close", f.Close())
		}
		check("RemoveAll", os.RemoveAll(p))
	}
}

func dirHandleEmpty(n int, dir string) { dirHandle(n, dir, nil) }
func dirHandle3(n int, dir string)     { dirHandle(n, dir, []string{"f0", "f1", "f2"}) }

const treeSubdirs = 100

// The workloads: each runs n operations in dir.  setups and teardowns,
// for the workloads that have them, run once (untimed) before the warm-up
// and after the last repetition.
var (
	workloads = map[string]func(int, string){
		"named": named, "named-handle": namedHandle, "unnamed": unnamed, "mkdtemp": mkdtemp,
		"dir-handle-empty": dirHandleEmpty, "dir-handle-3": dirHandle3,
	}
	setups    = map[string]func(string){}
	teardowns = map[string]func(string){}
)

// tree builds the tree (untimed) and returns the time os.RemoveAll takes.
func tree(n int, dir string) time.Duration {
	top, err := os.MkdirTemp(dir, "tmp*")
	check("MkdirTemp", err)
	one := []byte("x")
	for i := 0; i < treeSubdirs; i++ {
		sub := fmt.Sprintf("%s/d%02d", top, i)
		check("Mkdir", os.Mkdir(sub, 0700))
		for j := 0; j < n; j++ {
			f, err := os.OpenFile(fmt.Sprintf("%s/f%05d", sub, j),
				os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0600)
			check("OpenFile", err)
			_, err = f.Write(one)
			check("Write", err)
			check("Close", f.Close())
		}
	}
	t0 := time.Now()
	check("RemoveAll", os.RemoveAll(top))
	return time.Since(t0)
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: go-peer WORKLOAD N DIR")
		os.Exit(2)
	}
	work, ok := workloads[os.Args[1]]
	if !ok && os.Args[1] != "tree" {
		names := []string{"tree"}
		for k := range workloads {
			names = append(names, k)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "go peer: unknown workload %q (%s)\n", os.Args[1], strings.Join(names, ", "))
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n < 1 {
		fmt.Fprintf(os.Stderr, "go peer: bad N %q\n", os.Args[2])
		os.Exit(2)
	}
	reps := 11
	if s := os.Getenv("TFBENCH_REPS"); s != "" {
		if reps, err = strconv.Atoi(s); err != nil || reps < 1 {
			fmt.Fprintln(os.Stderr, "go peer: bad TFBENCH_REPS")
			os.Exit(2)
		}
	}
	dir := os.Args[3]
	if setup := setups[os.Args[1]]; setup != nil {
		setup(dir)
	}

	perOp := make([]float64, reps)
	if !ok { // tree
		entries := float64(treeSubdirs*n + treeSubdirs + 1)
		tree(n, dir) // warm-up
		for r := 0; r < reps; r++ {
			perOp[r] = float64(tree(n, dir).Nanoseconds()) / entries
		}
	} else {
		work(n, dir) // warm-up
		for r := 0; r < reps; r++ {
			t0 := time.Now() // monotonic reading
			work(n, dir)
			perOp[r] = float64(time.Since(t0).Nanoseconds()) / float64(n)
		}
	}
	if teardown := teardowns[os.Args[1]]; teardown != nil {
		teardown(dir)
	}
	sort.Float64s(perOp)
	med := perOp[reps/2]
	if reps%2 == 0 {
		med = (perOp[reps/2-1] + perOp[reps/2]) / 2
	}
	fmt.Printf("%s go %.1f ns/op\n", os.Args[1], med)
}
