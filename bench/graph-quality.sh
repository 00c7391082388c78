#!/usr/bin/env bash
# Graph quality on several data sets: every index kind of `outfit bench index` beside FAISS and hnswlib
# (bench/peers.sh) on the same files, at 1 and 2 query threads, and a recall–QPS chart per set.
#
# Usage: bench/graph-quality.sh OUTFIT RESULTS_DIR CHART_DIR [--count N] [--m M] [--photos DIR]
#   OUTFIT       the built outfit command (src/Cli/bin/Release/net10.0/outfit)
#   RESULTS_DIR  data sets and JSON lines are written here
#   CHART_DIR    one PNG per set (docs/images for the documentation)
# Sets: easy (clustered, spread 0.5, cosine), hard (spread 3, L2), photos (ResNet18 embeddings of the
# photos under --photos, default ../shared/data/clothing, and consumer views of them; skipped with a
# message when the folder is absent). A set whose files are in RESULTS_DIR already is not made again.
set -euo pipefail
if [ $# -lt 3 ]; then sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; fi
outfit=$1; results=$2; charts=$3; shift 3
count=30000; m=32; photos=../shared/data/clothing
while [ $# -gt 0 ]; do
  case $1 in
    --count) count=$2; shift 2 ;;
    --m) m=$2; shift 2 ;;
    --photos) photos=$2; shift 2 ;;
    *) echo "graph-quality: unknown option $1" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$results" "$charts"
efs=16,32,64,128,256

run_set() { # name metric title
  local name=$1 metric=$2 title=$3 dir=$results/$1
  local common="--base $dir/base.fvecs --queries $dir/queries.fvecs --truth $dir/truth.ivecs --k 20 --metric $metric"
  local out=$results/$name.jsonl
  : > "$out"
  echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg) :: $name" >> "$out"
  "$outfit" bench index $common --index flat --threads 1 2 >> "$out"
  "$outfit" bench index $common --index int8 --param rerank=2 --threads 1 2 >> "$out"
  "$outfit" bench index $common --index hnsw --param ef=$efs --param m=$m --threads 1 2 --build-threads 2 >> "$out"
  if [ "$metric" = cosine ]; then
    "$outfit" bench index $common --index hnsw-int8 --param ef=$efs --param m=$m --threads 1 2 --build-threads 2 >> "$out"
  fi
  "$here/peers.sh" "$dir/base.fvecs" "$dir/queries.fvecs" "$dir/truth.ivecs" --k 20 --threads 2 --build-threads 2 \
    --ef $efs --m $m --ef-construction 200 --metric "$metric" >> "$out"
  "$outfit" bench chart --results "$out" --out "$charts/graph-quality-$name.png" --title "$title"
}

[ -f "$results/easy/truth.ivecs" ] || "$outfit" bench gen --out "$results/easy" --count "$count" --queries 500 --dim 512 --seed 42 --threads 2 --metric cosine --spread 0.5
run_set easy cosine "Easy set: $count clustered 512-d vectors, spread 0.5, cosine, M=$m"
[ -f "$results/hard/truth.ivecs" ] || "$outfit" bench gen --out "$results/hard" --count "$count" --queries 500 --dim 512 --seed 42 --threads 2 --metric l2 --spread 3
run_set hard l2 "Hard set: $count clustered 512-d vectors, spread 3, L2, M=$m"
if [ -d "$photos" ]; then
  [ -f "$results/photos/truth.ivecs" ] || "$outfit" bench photos --photos "$photos" --out "$results/photos" --views 1 --queries 500 --seed 42
  run_set photos cosine "ResNet18 embeddings of the clothing photos and consumer views, cosine, M=$m"
else
  echo "graph-quality: $photos is absent; the photo set is skipped." >&2
fi
