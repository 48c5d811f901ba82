#!/bin/bash
# bench/chart.sh SINGLE.tsv PARALLEL.tsv OUT.png — bar charts of the medians (min-max as error bars):
# one container without and with a memory limit, and N containers 8 at a time.
set -euo pipefail
single=$1 par=$2 out=$3
d=$(mktemp -d /tmp/gph-chart.XXXXXX)
trap 'rm -rf "$d"' EXIT
# runtime, median, min, max (no limit) then the same with +mem
awk '$1 !~ /\+mem$/ { m[$1] = $3; l[$1] = $4; h[$1] = $5; o[++n] = $1 }
     $1 ~ /\+mem$/ { k = $1; sub(/\+mem$/, "", k); mm[k] = $3; ml[k] = $4; mh[k] = $5 }
     END { for (i = 1; i <= n; i++) { k = o[i]; printf "%s %s %s %s %s %s %s\n", k, m[k], l[k], h[k],
           (k in mm) ? mm[k] : "NaN", (k in mm) ? ml[k] : "NaN", (k in mm) ? mh[k] : "NaN" } }' "$single" >"$d/single.dat"
awk '{ split($1, p, "-x"); print p[2], p[1], $3 / 1000, $4 / 1000, $5 / 1000 }' "$par" >"$d/par.dat"
sizes=$(cut -d' ' -f1 "$d/par.dat" | sort -un | tr '\n' ' ')
for n in $sizes; do awk -v n="$n" '$1 == n { print $2, $3, $4, $5 }' "$d/par.dat" >"$d/par-$n.dat"; done
set -- $sizes
gnuplot <<GP
set terminal pngcairo size 1200,480 font ",10"
set output "$out"
set multiplot layout 1,2
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set grid ytics
set ylabel "ms (median, bars: min-max)"
set title "One container running /bin/true, start to reap"
set key top left
set yrange [0:*]
plot "$d/single.dat" using 2:3:4:xtic(1) title "no limit", '' using 5:6:7 title "64 MiB memory cgroup"
set ylabel "s (median, bars: min-max)"
set title "N containers, 8 at a time"
plot for [f in "$*"] "$d/par-".f.".dat" using 2:3:4:xtic(1) title "N = ".f
unset multiplot
GP
