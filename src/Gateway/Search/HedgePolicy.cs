namespace OutfitFinder.Gateway.Search;

/// <summary>
/// One shard's hedging state: its recent answer times, from which the hedge delay follows, and which of its copies
/// to ask first. Pure and thread-safe; the clock is passed in, so the rules are tested without waiting.
/// </summary>
/// <remarks>
/// Delay: <c>clamp(Multiplier × median of the last answers, MinDelay, MaxDelay)</c>, and <c>MaxDelay</c> until
/// <see cref="MinSamples"/> answers were seen. Example with the defaults (3×, 50 ms–1 s): answers of 4, 5 and 30 ms
/// give a median of 5 ms and a delay of 50 ms (the floor); answers around 80 ms give 240 ms.
/// Order: copies take turns being first (the writer is copy 0), so reads spread over all of them; a copy marked
/// suspect (it failed, or a hedge overtook it) goes last until its mark expires.
/// </remarks>
public sealed class HedgePolicy(HedgingOptions options)
{
    /// <summary>Answers kept for the median.</summary>
    public const int Window = 64;

    /// <summary>Answers needed before the median replaces <see cref="HedgingOptions.MaxDelay"/>.</summary>
    public const int MinSamples = 8;

    private readonly Lock _lock = new();
    private readonly double[] _latenciesMs = new double[Window];
    private readonly Dictionary<int, long> _suspectUntil = [];
    private int _count;
    private int _next;
    private long _turn;

    /// <summary>How long to wait for a copy before asking the next one.</summary>
    public TimeSpan Delay
    {
        get
        {
            double median;
            lock (_lock)
            {
                if (_count < MinSamples)
                {
                    return options.MaxDelay;
                }

                var sorted = _latenciesMs[.._count];
                Array.Sort(sorted);
                median = sorted[_count / 2];
            }

            var delay = TimeSpan.FromMilliseconds(median * options.Multiplier);
            return delay < options.MinDelay ? options.MinDelay : delay > options.MaxDelay ? options.MaxDelay : delay;
        }
    }

    /// <summary>Records how long a copy took to answer.</summary>
    public void Record(TimeSpan latency)
    {
        lock (_lock)
        {
            _latenciesMs[_next] = latency.TotalMilliseconds;
            _next = (_next + 1) % Window;
            _count = Math.Min(_count + 1, Window);
        }
    }

    /// <summary>Marks copy <paramref name="copy"/> to be asked last until <paramref name="now"/> + <c>SuspectFor</c>.</summary>
    public void MarkSuspect(int copy, long now)
    {
        lock (_lock)
        {
            _suspectUntil[copy] = now + (long)(options.SuspectFor.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        }
    }

    /// <summary>The order in which to ask a shard's <paramref name="copies"/> copies at stopwatch time <paramref name="now"/>.</summary>
    public IReadOnlyList<int> Order(int copies, long now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(copies, 1);
        lock (_lock)
        {
            var first = (int)(_turn++ % copies);
            return [.. Enumerable.Range(0, copies).Select(i => (first + i) % copies)
                .OrderBy(copy => _suspectUntil.TryGetValue(copy, out var until) && until > now ? 1 : 0)];
        }
    }
}
