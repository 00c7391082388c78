#!/usr/bin/env bash
# Runs the peer libraries on the same .fvecs files as `outfit bench index` and prints the same JSON fields:
# FAISS IndexFlatIP/IndexFlatL2 (exact), FAISS IndexHNSWFlat and hnswlib, each queried one query per call on
# 1 thread and on --threads N (N Python threads, each library call single-threaded), as our runner does.
#
# Usage: bench/peers.sh BASE.fvecs QUERIES.fvecs [TRUTH.ivecs] [--k 20] [--threads N] [--build-threads N]
#                       [--ef 16,32,64,128] [--m 16] [--ef-construction 200] [--metric cosine|l2]
#
# The libraries come from Debian packages (python3-faiss, python3-hnswlib), installed with apt-get when missing
# and available; a library that cannot be had is reported on stderr and skipped. Runs with /usr/bin/python3.
set -uo pipefail

if [ $# -lt 2 ]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

python=/usr/bin/python3
if [ ! -x "$python" ]; then
  echo "peers: $python is missing; install Debian's python3." >&2
  exit 1
fi

for package in python3-numpy python3-faiss python3-hnswlib; do
  if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    continue
  fi
  if ! apt-cache show "$package" >/dev/null 2>&1; then
    echo "peers: $package is not available from apt here; its runs are skipped." >&2
    continue
  fi
  echo "peers: installing $package with apt-get" >&2
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null 2>&1 \
      || echo "peers: apt-get could not install $package; its runs are skipped." >&2
  else
    echo "peers: not root, cannot install $package; its runs are skipped." >&2
  fi
done

exec "$python" - "$@" <<'PYTHON'
import argparse, json, os, statistics, sys, tempfile, threading, time

try:
    import numpy as np
except ImportError:
    sys.exit("peers: numpy (python3-numpy) is needed and missing.")

parser = argparse.ArgumentParser(prog="bench/peers.sh")
parser.add_argument("base"); parser.add_argument("queries"); parser.add_argument("truth", nargs="?")
parser.add_argument("--k", type=int, default=20)
parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
parser.add_argument("--build-threads", type=int, default=os.cpu_count() or 1)
parser.add_argument("--ef", default="16,32,64,128")
parser.add_argument("--m", type=int, default=16)
parser.add_argument("--ef-construction", type=int, default=200)
parser.add_argument("--metric", choices=["cosine", "l2"], default="cosine")
args = parser.parse_args()
if args.k < 1 or args.threads < 1 or args.build_threads < 1 or args.m < 2 or args.ef_construction < 1:
    sys.exit("peers: --k, --threads, --build-threads and --ef-construction must be at least 1, --m at least 2.")
try:
    efs = [int(ef) for ef in args.ef.split(",")]
    assert all(ef >= 1 for ef in efs)
except (ValueError, AssertionError):
    sys.exit(f"peers: --ef takes whole numbers of at least 1 separated by commas, got '{args.ef}'.")

def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    if raw.size == 0:
        sys.exit(f"peers: '{path}' holds no vectors.")
    d = int(raw[0])
    if d < 1 or raw.size % (d + 1) != 0:
        sys.exit(f"peers: '{path}' is not a whole number of {d}-dimensional vectors.")
    rows = raw.reshape(-1, d + 1)
    if not (rows[:, 0] == d).all():
        sys.exit(f"peers: '{path}' has vectors of different dimensions.")
    return np.ascontiguousarray(rows[:, 1:]).view(dtype)

base = read_vecs(args.base, np.float32)
queries = read_vecs(args.queries, np.float32)
if base.shape[1] != queries.shape[1]:
    sys.exit(f"peers: the queries have dimension {queries.shape[1]} but the base vectors {base.shape[1]}.")
n, d = base.shape
if args.metric == "cosine":
    base = base / np.maximum(np.linalg.norm(base, axis=1, keepdims=True), 1e-30)
    queries = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-30)
base = np.ascontiguousarray(base, dtype=np.float32)
queries = np.ascontiguousarray(queries, dtype=np.float32)

truth = None
if args.truth:
    truth = read_vecs(args.truth, np.int32)
    if truth.shape[0] < len(queries) or truth.shape[1] < args.k:
        sys.exit(f"peers: '{args.truth}' needs at least {len(queries)} rows of {args.k} neighbours.")

def recall(found):
    depth = min(args.k, n)
    return float(np.mean([len(set(found[q][:depth].tolist()) & set(truth[q][:depth].tolist())) / depth
                          for q in range(len(queries))]))

def run_queries(search, threads):
    """One query per call on `threads` Python threads (the libraries release the GIL while searching)."""
    count = len(queries)
    found = [None] * count
    latencies = [0.0] * count
    counter = iter(range(count)); lock = threading.Lock()
    def work():
        while True:
            with lock:
                q = next(counter, None)
            if q is None:
                return
            started = time.perf_counter()
            found[q] = search(queries[q:q + 1])
            latencies[q] = (time.perf_counter() - started) * 1000
    for q in range(min(count, 32)):  # warm-up
        search(queries[q:q + 1])
    wall = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers: w.start()
    for w in workers: w.join()
    wall = time.perf_counter() - wall
    ordered = sorted(latencies)
    pick = lambda f: ordered[min(len(ordered) - 1, max(0, -(-int(f * 1000) * len(ordered) // 1000) - 1))]
    return found, count / wall, pick(0.50), pick(0.99)

def file_bytes_per_vector(save):
    with tempfile.NamedTemporaryFile(delete=False) as handle:
        path = handle.name
    try:
        save(path)
        return int(round(os.path.getsize(path) / n))
    finally:
        os.remove(path)

def emit(index, param, build, threads, qps, p50, p99, rec, bpv):
    print(json.dumps({"index": index, "param": param, "threads": threads, "buildSeconds": round(build, 3),
                      "qps": round(qps, 1), "p50Ms": round(p50, 3), "p99Ms": round(p99, 3),
                      "recall": round(rec, 4), "bytesPerVector": bpv}), flush=True)

query_threads = sorted({1, args.threads})

try:
    import faiss
except ImportError:
    faiss = None
    print("peers: faiss is not available; FAISS runs skipped.", file=sys.stderr)

if faiss is not None:
    faiss.omp_set_num_threads(args.build_threads)
    ip = args.metric == "cosine"
    started = time.perf_counter()
    flat = faiss.IndexFlatIP(d) if ip else faiss.IndexFlatL2(d)
    flat.add(base)
    flat_build = time.perf_counter() - started
    if truth is None:
        _, truth = flat.search(queries, args.k)
    faiss.omp_set_num_threads(1)
    for threads in query_threads:
        found, qps, p50, p99 = run_queries(lambda q: flat.search(q, args.k)[1][0], threads)
        emit("faiss-flat", f"Index{'FlatIP' if ip else 'FlatL2'}", flat_build, threads, qps, p50, p99, recall(found), d * 4)

    faiss.omp_set_num_threads(args.build_threads)
    hnsw = faiss.IndexHNSWFlat(d, args.m, faiss.METRIC_INNER_PRODUCT if ip else faiss.METRIC_L2)
    hnsw.hnsw.efConstruction = args.ef_construction
    started = time.perf_counter()
    hnsw.add(base)
    hnsw_build = time.perf_counter() - started
    bpv = file_bytes_per_vector(lambda path: faiss.write_index(hnsw, path))
    faiss.omp_set_num_threads(1)
    for ef in efs:
        hnsw.hnsw.efSearch = max(ef, args.k)
        for threads in query_threads:
            found, qps, p50, p99 = run_queries(lambda q: hnsw.search(q, args.k)[1][0], threads)
            emit("faiss-hnsw", f"ef={ef} m={args.m} efConstruction={args.ef_construction} buildThreads={args.build_threads}",
                 hnsw_build, threads, qps, p50, p99, recall(found), bpv)

if truth is None:
    sys.exit("peers: without a truth file FAISS is needed to compute the exact neighbours.")

try:
    import hnswlib
except ImportError:
    hnswlib = None
    print("peers: hnswlib is not available; hnswlib runs skipped.", file=sys.stderr)

if hnswlib is not None:
    graph = hnswlib.Index(space="ip" if args.metric == "cosine" else "l2", dim=d)
    graph.init_index(max_elements=n, ef_construction=args.ef_construction, M=args.m, random_seed=42)
    started = time.perf_counter()
    graph.add_items(base, np.arange(n), num_threads=args.build_threads)
    build = time.perf_counter() - started
    bpv = file_bytes_per_vector(graph.save_index)
    for ef in efs:
        graph.set_ef(max(ef, args.k))
        for threads in query_threads:
            found, qps, p50, p99 = run_queries(lambda q: graph.knn_query(q, k=args.k, num_threads=1)[0][0], threads)
            emit("hnswlib", f"ef={ef} m={args.m} efConstruction={args.ef_construction} buildThreads={args.build_threads}",
                 build, threads, qps, p50, p99, recall(found), bpv)
PYTHON
