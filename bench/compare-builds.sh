#!/usr/bin/env bash
# Runs the index and gateway search benchmarks on two checkouts, interleaved command by command, so that
# background load falls on both alike: for a change that should not move performance, its before and after.
# Usage: bench/compare-builds.sh BEFORE_CHECKOUT AFTER_CHECKOUT OUTDIR
# Each checkout must be built first (dotnet build -c Release src/Cli and bench/OutfitFinder.Bench), and the
# data set made once with `outfit bench gen --out /tmp/kb --count 100000 --queries 1000 --dim 512 --seed 42
# --metric cosine` (docs/benchmarks.md, "Scan bandwidth and batched scoring"). OUTDIR gets one .out file per
# command and side, and a log of start times and load averages.
set -u
before=$1; after=$2; out=$3; mkdir -p "$out"
common="--base /tmp/kb/base.fvecs --queries /tmp/kb/queries.fvecs --truth /tmp/kb/truth.ivecs --k 20 --metric cosine"
run() { # side repo label cmd...
  local side=$1 repo=$2 label=$3; shift 3
  echo "== $side $label $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out/log"
  (cd "$repo" && "$@") > "$out/$side-$label.out" 2> "$out/$side-$label.err"
  echo "   rc $?" | tee -a "$out/log"
}
for cmd in "flat|--index flat --threads 1" "int8|--index int8 --param rerank=2 --threads 1" \
           "hnsw|--index hnsw --param ef=64,128 --threads 1 --build-threads 2" \
           "hnsw-int8|--index hnsw-int8 --param ef=64,128 --threads 1 --build-threads 2"; do
  label=${cmd%%|*}; args=${cmd#*|}
  for side in before after; do
    repo=$before; [ $side = after ] && repo=$after
    run $side "$repo" "index-$label" src/Cli/bin/Release/net10.0/outfit bench index $common $args
  done
done
for side in before after; do
  repo=$before; [ $side = after ] && repo=$after
  run $side "$repo" search dotnet bench/OutfitFinder.Bench/bin/Release/net10.0/OutfitFinder.Bench.dll search --vectors 100000 --index Auto --concurrency 1 --image-queries 0 --time-limit 900
done
