# SPDX-License-Identifier: MIT
# bench/chart.gp - the benchmark chart: every implementation's median time
# as a multiple of its workload's floor, one row per workload, libtempfile
# in red, the goals as black bars.  Run by bench/chart.sh:
#
#   gnuplot -e "data='build/bench/chart.tsv'; out='BENCHMARKS.svg'" bench/chart.gp
#
# data is bench/chart-data.py's output (blocks "workloads", "goals",
# "points", "legend"); every number drawn comes from it.

if (!exists("data") || !exists("out")) {
  print "usage: gnuplot -e \"data='CHART.tsv'; out='CHART.svg'\" bench/chart.gp"
  exit status 2
}

set encoding utf8
set datafile separator "\t"
set datafile commentschars "#"

# ------------------------------------------------------------ the data

stats data index "workloads" using ($3 + $4) nooutput
bottom = STATS_max
rows = STATS_records
stats data index "points" using 3 nooutput
lo = STATS_min
hi = STATS_max
stats data index "legend" using 0 nooutput
entries = STATS_records

# x: the ratio, on a scale widened near 1 (where the goals are, 1.05 to
# 1.5) and compressed far from it: the log of the ratio through
# log(1 + |.| / c).  The tic marks carry the values.
c = 0.05
f(x) = sgn(log(x)) * log(1 + abs(log(x)) / c)
g(y) = exp(sgn(y) * c * (exp(abs(y)) - 1))
xmin = (lo < 0.9 ? lo : 0.9) / 1.03
xmax = hi * 1.5

# ---------------------------------------------------------- the looks

red = 0xc8102e
fcolor(k) = k eq "libtempfile" ? red : \
  k eq "glibc" ? 0x6f8fb8 : \
  k eq "coreutils" ? 0x8f8f8f : \
  k eq "python" ? 0xc9a43a : \
  k eq "atomicwrites" ? 0xc9a43a : \
  k eq "rust" ? 0xb4845f : \
  k eq "go" ? 0x5fa8a8 : \
  k eq "renameio" ? 0x5fa8a8 : \
  k eq "glib" ? 0x86a35a : \
  k eq "moreutils" ? 0x9d86bd : \
  0xa8a8a8
# filled shapes: 7 circle, 5 square, 9 triangle, 11 triangle down,
# 13 diamond, 15 pentagon; the hollow one is the number below.
fpt(k) = k eq "libtempfile" ? 7 : \
  k eq "glibc" ? 5 : \
  k eq "coreutils" ? 15 : \
  k eq "python" ? 9 : \
  k eq "atomicwrites" ? 11 : \
  k eq "rust" ? 13 : \
  k eq "go" ? 11 : \
  k eq "renameio" ? 9 : \
  k eq "glib" ? 5 : \
  k eq "moreutils" ? 13 : \
  k eq "baseline" ? 1 : 3
pt(k, form) = form eq "main" ? fpt(k) : fpt(k) == 1 || fpt(k) == 3 ? fpt(k) : fpt(k) - 1
ps(k, form) = k eq "libtempfile" ? (form eq "main" ? 1.7 : 1.5) : 1.1

# The size: 11.5 pixels per slot of the rows (a marker's line), plus the
# title, the axis and the legend (3 columns).
cols = 3
lrows = int((entries + 3 + cols - 1) / cols)
chart_px = int(bottom * 11.5) + 130
legend_px = lrows * 32 + 12
W = 1000
H = chart_px + legend_px
set terminal svg size W, H font "sans-serif,13" fontscale 1 background "white" noenhanced
set output out

set multiplot

# ------------------------------------------------------------ the chart

set origin 0, 1.0 * legend_px / H
set size 1, 1.0 * chart_px / H
set lmargin 24
set rmargin 14
set tmargin 4.5
set bmargin 3.5
set title "Time of each implementation as a multiple of its workload's floor (lower is faster)" font ",15"

set nonlinear x via f(x) inverse g(x)
set xrange [xmin:xmax]
set xtics (0.8, 0.9, 1, 1.05, "" 1.1, 1.2, 1.5, 2, 3, 5, 10, 30, 100) nomirror scale 0.5
set format x "%g×"
set xlabel "× the floor (1× = the workload's floor; the scale is widened near 1×, compressed far from it)" offset 0, 0.3
set grid xtics lc rgb "#dddddd" lw 1 dt 1

set yrange [bottom : 0]
set ytics nomirror scale 0 font ",13" textcolor rgb "#222222"
set border 3 lc rgb "#666666"
set key off

has(s) = strlen(s) > 0
# the labels on a white ground (the svg terminal's only one), over a
# goal bar they cross
set style textbox opaque noborder margins 0.5, 0.5
# under the name of each workload, libtempfile's time and goal
libtext(v, goal) = v eq "-" ? "" : v . "×" . (goal eq "-" ? "" : " (goal ≤ " . goal . "×)")

plot \
  data index "workloads" using (xmin):($3 - 0.7):ytic(2) with dots lc rgb "#ffffff" title "workloads", \
  data index "workloads" using (xmin):(int($1) + 1 < rows ? $3 + $4 : NaN):(xmax - xmin):(0) \
    with vectors nohead lw 1 lc rgb "#c8c8c8" title "rows", \
  data index "workloads" using (xmin):($3 + 0.9):(libtext(strcol(7), strcol(8))) \
    with labels right offset -1.5, 0 font ",12" textcolor rgb red title "libtempfile x floor (goal)", \
  data index "workloads" using (1):($3 - $4):(0):(2 * $4) with vectors nohead dt (6, 4) lw 1.5 lc rgb "#333333" title "the floor", \
  data index "goals" using 3:4:(0):($5 - $4) with vectors nohead lw 3.5 lc rgb "#111111" title "libtempfile's goals", \
  data index "points" using 3:(strcol(4) eq "libtempfile" ? NaN : $2):(ps(strcol(4), strcol(5))):(pt(strcol(4), strcol(5))):(fcolor(strcol(4))) \
    with points ps variable pt variable lc rgb variable lw 1.5 title "peers and baselines", \
  data index "points" using 3:(strcol(4) eq "libtempfile" ? $2 : NaN):(ps(strcol(4), strcol(5))):(pt(strcol(4), strcol(5))) \
    with points ps variable pt variable lc rgb red lw 2.5 title "libtempfile", \
  data index "points" using 3:(has(strcol(6)) ? $2 : NaN):6:(strcol(4) eq "libtempfile" ? red : 0x555555) \
    with labels left offset 1.2, 0 font ",11" textcolor rgb variable boxed title "labels"

# ------------------------------------------------------------ the legend

unset title
unset label
unset grid
unset nonlinear x
unset xlabel
unset border
unset tics
set origin 0, 0
set size 1, 1.0 * legend_px / H
set lmargin 6
set rmargin 2
set tmargin 0.5
set bmargin 0.5
set xrange [0:cols]
set yrange [lrows - 0.5 : -0.7]
lx(i) = int(i) % cols
ly(i) = int(int(i) / cols)
# after the families: the floor, the goal, the hollow markers
set arrow 1 from lx(entries) + 0.03, ly(entries) - 0.35 to lx(entries) + 0.03, ly(entries) + 0.35 nohead dt (6, 4) lw 1.5 lc rgb "#333333"
set label 1 "the floor (1×): each workload's bare minimum" at lx(entries) + 0.07, ly(entries) left font ",12"
set arrow 2 from lx(entries + 1) + 0.03, ly(entries + 1) - 0.35 to lx(entries + 1) + 0.03, ly(entries + 1) + 0.35 nohead lw 3.5 lc rgb "#111111"
set label 2 "libtempfile's goal against the floor" at lx(entries + 1) + 0.07, ly(entries + 1) left font ",12"
set label 3 "hollow: another form of the same, labelled" at lx(entries + 2) + 0.07, ly(entries + 2) left font ",12"
set object 1 circle at lx(entries + 2) + 0.03, ly(entries + 2) size char 0.6 fillstyle empty border lc rgb "#777777" lw 1.5

plot [0:cols] [lrows - 0.5 : -0.7] \
  data index "legend" using (lx($0) + 0.03):(ly($0)):(ps(strcol(1), "main")):(fpt(strcol(1))):(fcolor(strcol(1))) \
    with points ps variable pt variable lc rgb variable lw 1.5 title "legend", \
  data index "legend" using (lx($0) + 0.07):(ly($0)):3:(strcol(1) eq "libtempfile" ? red : 0x222222) \
    with labels left font ",12" textcolor rgb variable title "legend"

unset multiplot
