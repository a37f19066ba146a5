# SPDX-License-Identifier: MIT
"""bench/chart-data.py REPORT.md - the chart's data, read from the report.

Reads the tables of BENCHMARKS.md (as bench/run.sh writes it) and prints,
as tab-separated blocks for bench/chart.gp, every implementation's median
time as a multiple of its workload's floor, the goals stated against the
floor, and the legend, with the place of each marker (its row, and a
line of its own in the row).  No number is computed here but that
multiple: a table's "x floor" column is taken as printed; a table without
one (the command line's mktemp) gets its median over the floor row's
median.  Run by bench/chart.sh; python3, standard library only.

The report's structure it relies on, checked as it goes (it exits 1,
naming the line, when a table does not fit):

- a workload is a `### NAME` heading under `## Results ...` or
  `## The command line ...`; its results table is the one whose header
  has a first column `implementation` or `command` and a column
  `median UNIT`;
- the floor is the row whose first cell starts with `floor:` (exactly
  one per table; a workload without one, such as pool, is left out and
  named on stderr);
- a goal against the floor is a cell of a `| goal | measured | result |`
  table reading "`W` <= L x `W-floor`" (the library's groups; or
  "`W` <= L x `F-floor`" where W's floor row is another workload's floor,
  as `named-floor` is the handles') or "<= L x the floor" (the command
  line's, for the workload of the heading above it).
"""

import re
import sys

# Implementation families, matched on the first cell of a results row (the
# first pattern that matches wins).  KIND: lib (libtempfile, or tmpf for
# the command line), floor, baseline (not a peer, not the floor), peer.
# LEGEND: the legend's title, {v} the first version number found in the
# name of the family's first row.
FAMILIES = [
    # (key, kind, pattern, legend)
    ("libtempfile", "lib", r"^\*\*libtempfile\*\*|^libtempfile\b|^`(tmpf|mktemp)\b",
     "libtempfile (tmpf for the command line)"),
    ("floor", "floor", r"^floor:", "floor"),
    ("baseline", "baseline", r"^baseline:|^floor,|^the floor\b",
     "a baseline (not a peer), labelled"),
    ("glibc", "peer", r"^glibc\b", "glibc {v}"),
    ("coreutils", "peer", r"^rm -rf|^GNU\b", "GNU coreutils {v} (rm -rf, mktemp)"),
    ("atomicwrites", "peer", r"^Python atomicwrites\b", "Python atomicwrites {v}"),
    ("python", "peer", r"^CPython\b", "CPython {v} (tempfile)"),
    ("rust", "peer", r"^Rust tempfile\b", "Rust tempfile {v}"),
    ("renameio", "peer", r"^Go renameio\b", "Go renameio {v}"),
    ("go", "peer", r"^Go\b", "Go {v} (os)"),
    ("glib", "peer", r"^GLib\b", "GLib {v}"),
    ("moreutils", "peer", r"^moreutils\b", "moreutils sponge"),
    ("other", "peer", r"", "other peer"),
]

# The legend's order: libtempfile, the peers (a language's together), a
# baseline.
LEGEND_ORDER = ["libtempfile", "glibc", "coreutils", "python", "atomicwrites", "rust",
                "go", "renameio", "glib", "moreutils", "other", "baseline"]

# Short labels for the markers that carry one: the other forms of an
# implementation (a second row of the same family in one table) and the
# baselines.  The first pattern that matches the row's first cell wins;
# without a match the cell itself, shortened, is the label.
SHORT = [
    (r"tf_dir handle", "tf_dir handle"),
    (r"--no-sync", "--no-sync"),
    (r"a link to tmpf", "mktemp link"),
    (r"C\.UTF-8", "C.UTF-8"),
    (r"CONSISTENT only", "CONSISTENT only"),
    (r"TMPDIR=/dev/shm", "TMPDIR on tmpfs"),
    (r"^baseline: malloc", "malloc"),
    (r"^baseline: hot buffer", "hot buffer"),
    (r"^the floor through a pipe", "floor through a pipe"),
    (r"^floor, synced", "floor + sync"),
]

# Order of the markers inside a workload's row, top to bottom.
KIND_ORDER = {"lib": 0, "peer": 1, "baseline": 2}


def die(msg):
    sys.stderr.write("bench/chart-data.py: %s\n" % msg)
    sys.exit(1)


def cells(line):
    """The cells of a markdown table row (a \\| inside a cell is a |)."""
    s = line.strip()
    if not (s.startswith("|") and s.endswith("|")):
        return None
    # Split on the | that are neither escaped nor inside a code span: a
    # report may hold `a | b` unescaped (GitHub would split it there).
    parts, cur, code, prev = [], "", False, ""
    for c in s[1:-1]:
        if c == "`":
            code = not code
        if c == "|" and not code and prev != "\\":
            parts.append(cur)
            cur = ""
        else:
            cur += c
        prev = c
    parts.append(cur)
    return [p.strip().replace("\\|", "|") for p in parts]


def number(s):
    return float(s) if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", s) else None


def family(name):
    for key, kind, pat, legend in FAMILIES:
        if re.search(pat, name):
            return key, kind, legend
    raise AssertionError("the last family matches everything")


def short(name):
    for pat, label in SHORT:
        if re.search(pat, name):
            return label
    s = name.replace("`", "")
    return s if len(s) <= 24 else s[:23] + "…"


def tsv(*fields):
    return "\t".join(str(f).replace("\t", " ") for f in fields)


def main():
    if len(sys.argv) != 2:
        die("usage: python3 bench/chart-data.py REPORT.md")
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            lines = f.read().split("\n")
    except OSError as e:
        die("%s: %s" % (sys.argv[1], e.strerror))

    section = ""  # the current ## heading
    workload = None  # the current ### heading, in a results section
    workloads = []  # [name, unit, floor median, [rows]] in the report's order
    goals = []  # (workload, limit), in the report's order
    skipped = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section = line[3:]
            workload = None
        elif line.startswith("### "):
            results = section.startswith("Results") or section.startswith("The command line")
            workload = line[4:].strip() if results else None
        head = cells(line)
        if head is None or i + 1 >= len(lines) or not re.fullmatch(
                r"\|( *:?-{3,}:? *\|)+", lines[i + 1].strip()):
            i += 1
            continue
        # A table: its header at line i, its rows up to the first non-row.
        start = i
        i += 2
        rows = []
        while i < len(lines) and cells(lines[i]) is not None:
            rows.append((i + 1, cells(lines[i])))
            i += 1
        if head[:3] == ["goal", "measured", "result"]:
            for lineno, r in rows:
                m = re.search(r"`([a-z0-9-]+)` <= ([0-9.]+) x `[a-z0-9-]+-floor`", r[0])
                if m:
                    goals.append((m.group(1), float(m.group(2))))
                    continue
                m = re.search(r"<= ([0-9.]+) x the floor\b", r[0])
                if m and workload and section.startswith("The command line"):
                    goals.append((workload, float(m.group(1))))
            continue
        if workload is None or head[0] not in ("implementation", "command"):
            continue
        med = [k for k, h in enumerate(head) if h.startswith("median")]
        if len(med) != 1:
            die("line %d: a results table (### %s) without one median column" % (start + 1, workload))
        med = med[0]
        unit = head[med][len("median"):].strip()
        xf = head.index("x floor") if "x floor" in head else None
        parsed = []
        floor = None
        for lineno, r in rows:
            if len(r) != len(head):
                die("line %d: %d cells, the header has %d" % (lineno, len(r), len(head)))
            name = r[0]
            key, kind, legend = family(name)
            v = number(r[med])
            if v is None:
                sys.stderr.write("bench/chart-data.py: %s: %s not measured, left out\n"
                                 % (workload, name))
                continue
            if kind == "floor":
                if floor is not None:
                    die("line %d: a second floor row in ### %s" % (lineno, workload))
                floor = v
                continue
            ratio = number(r[xf]) if xf is not None else None
            parsed.append([lineno, name, key, kind, legend, v, ratio])
        if floor is None or floor <= 0:
            skipped.append(workload)
            continue
        for p in parsed:
            computed = p[5] / floor
            if p[6] is None:
                p[6] = round(computed, 3)
            elif abs(p[6] - computed) > 0.01 * computed + 0.002:
                die("line %d: x floor %.3f, but median / floor median is %.3f" % (p[0], p[6], computed))
        workloads.append([workload, unit, floor, parsed])

    if not workloads:
        die("%s: no results table with a floor row" % sys.argv[1])
    names = [w[0] for w in workloads]
    for w, _ in goals:
        if w not in names:
            die("a goal for %s, which has no results table with a floor" % w)
    if skipped:
        sys.stderr.write("bench/chart-data.py: no floor row, not charted: %s\n" % ", ".join(skipped))

    # The rows, top to bottom: one slot (a unit of y) per marker, half a
    # slot more after libtempfile's own, and half a slot above and below,
    # so markers (and their labels) in one row never share a line.
    layout = []  # per workload: (top, height, [y of each marker])
    top = 0.0
    for w, unit, floor, parsed in workloads:
        parsed.sort(key=lambda p: (KIND_ORDER[p[3]], p[0]))
        ys, y = [], top + 1.0
        for k, p in enumerate(parsed):
            ys.append(y)
            y += 1.5 if k == 0 and p[3] == "lib" else 1.0
        layout.append((top, y - top, ys))
        top = y

    out = []
    out.append("# workloads: row, workload, y of its middle, half its height, unit, floor median, "
               "libtempfile's x floor, goals, markers")
    for row, (w, unit, floor, parsed) in enumerate(workloads):
        rtop, height, _ = layout[row]
        lib = [p[6] for p in parsed if p[3] == "lib"]
        lim = sorted(set("%g" % l for g, l in goals if g == w), key=float)
        out.append(tsv(row, w, "%.2f" % (rtop + height / 2), "%.2f" % (height / 2), unit,
                       "%g" % floor, "%.3f" % lib[0] if lib else "-", "/".join(lim) or "-", len(parsed)))
    out += ["", ""]
    out.append("# goals: row, workload, limit (libtempfile's time <= limit x the floor), "
               "y from, y to (the row's height)")
    seen = set()
    for w, limit in goals:
        if (w, limit) not in seen:
            seen.add((w, limit))
            row = names.index(w)
            rtop, height, _ = layout[row]
            out.append(tsv(row, w, "%g" % limit, "%.2f" % (rtop + 0.3), "%.2f" % (rtop + height - 0.3)))
    if not seen:  # gnuplot wants a block: one that plots nothing
        out.append(tsv(-1, "-", "NaN", 0, 0))
    out += ["", ""]
    out.append("# points: row, y, x floor, family, form (main, other, baseline), label, median, "
               "implementation")
    legend = {}
    for row, (w, unit, floor, parsed) in enumerate(workloads):
        fams = set()
        for y, (lineno, name, key, kind, leg, v, ratio) in zip(layout[row][2], parsed):
            if kind == "baseline":
                form, label = "baseline", short(name)
            elif key in fams:
                form, label = "other", short(name)
            else:
                form, label = "main", ""
            fams.add(key)
            if key not in legend:
                ver = re.search(r"[0-9]+\.[0-9]+(\.[0-9]+)?", name)
                legend[key] = (kind, leg.replace("{v}", ver.group(0) if ver else "").replace("  ", " "))
            out.append(tsv(row, "%.2f" % y, "%.3f" % ratio, key, form, label, "%g" % v, name))
    out += ["", ""]
    out.append("# legend: family, kind, title (libtempfile, the peers, a baseline if any)")
    for key in LEGEND_ORDER:
        if key in legend:
            out.append(tsv(key, legend[key][0], legend[key][1]))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
