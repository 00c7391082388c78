namespace OutfitFinder.Cli.Bench;

/// <summary>
/// One measured setting of <c>outfit bench index</c>, printed as one JSON object per line.
/// </summary>
/// <param name="Index">"flat", "int8" or "hnsw".</param>
/// <param name="Param">The setting, e.g. "rerank=4" or "ef=64 m=16 efConstruction=200"; null for an index without parameters.</param>
/// <param name="Threads">Query threads running at once (each query on one thread), as bench/peers.sh reports them.</param>
/// <param name="BuildSeconds">Wall time to upsert every base vector into an empty index.</param>
/// <param name="Qps">Queries answered per second of wall time, all threads together.</param>
/// <param name="P50Ms">Median latency of one query, in milliseconds.</param>
/// <param name="P99Ms">99th-percentile latency of one query, in milliseconds.</param>
/// <param name="Recall">Mean over queries of |returned ∩ true top k| / k; 1 for exact search.</param>
/// <param name="BytesPerVector">Bytes the index stores per vector, row bookkeeping aside (for hnsw: with its neighbour lists).</param>
internal sealed record BenchResult(
    string Index, string? Param, int Threads, double BuildSeconds, double Qps, double P50Ms, double P99Ms, double Recall, int BytesPerVector);
