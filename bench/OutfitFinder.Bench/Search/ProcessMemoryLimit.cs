using System.Globalization;

namespace OutfitFinder.Bench.Search;

/// <summary>
/// Puts the running process under a whole-process memory limit (anonymous memory and page cache together), the way a
/// container limit binds a silo: a cgroup made for it beside (v2) or below (v1) the one it runs in. Used by
/// <c>memory --limit-mib</c> to make the kernel evict the mapped float vectors before queries are measured.
/// </summary>
/// <remarks>
/// <para><c>systemd-run --scope -p MemoryMax=…</c> needs systemd as the init process, which containers rarely have;
/// writing the cgroup files needs only a writable cgroup mount.</para>
/// <para>Memory stays charged to the group it was charged in when a process moves (cgroup v2 always; v1 on kernels that
/// dropped <c>memory.move_charge_at_immigrate</c>, 6.x among them). So the process enters its group with
/// <see cref="Enter"/> as the benchmark starts, before the silo holds anything, and everything it allocates or reads
/// from then on (heap, native buffers, the mapped files' page cache) is charged there; <see cref="Limit"/> later sets
/// the limit, and the kernel reclaims page cache until the group fits. What the runtime held before entering stays
/// outside the group and is reported.</para>
/// </remarks>
internal sealed class ProcessMemoryLimit : IDisposable
{
    private const string Root = "/sys/fs/cgroup";
    private readonly string _group;
    private readonly string _parent;
    private readonly bool _v2;

    private ProcessMemoryLimit(string group, string parent, bool v2, double anonOutsideBytes) =>
        (_group, _parent, _v2, AnonOutsideBytes) = (group, parent, v2, anonOutsideBytes);

    /// <summary>Anonymous memory the process held when it entered the group, charged outside it.</summary>
    public double AnonOutsideBytes { get; }

    /// <summary>The group's path and kind.</summary>
    public string Group => $"cgroup {(_v2 ? "v2" : "v1")} {_group}";

    /// <summary>What the group holds now (anonymous memory and page cache charged to it), in bytes.</summary>
    public long UsageBytes() => long.Parse(File.ReadAllText(Path.Combine(_group, _v2 ? "memory.current" : "memory.usage_in_bytes")).Trim(), CultureInfo.InvariantCulture);

    /// <summary>
    /// Moves this process into a new cgroup with no limit yet; null and a sentence saying why when the cgroup files are
    /// not there or not writable (then nothing changed).
    /// </summary>
    public static ProcessMemoryLimit? Enter(out string? skipped)
    {
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var anon = ProcessMemory.Read().AnonBytes;
        var name = $"outfit-bench-{pid}";
        string? group = null;
        try
        {
            var lines = File.ReadAllLines("/proc/self/cgroup");
            string parent;
            var v2 = File.Exists(Path.Combine(Root, "cgroup.controllers"));
            if (v2)
            {
                // v2: a group that holds processes cannot also hand controllers to children, so the new group is a sibling.
                var own = lines.First(line => line.StartsWith("0::", StringComparison.Ordinal))[3..];
                parent = Root + own;
                group = Path.Combine(Root + Path.GetDirectoryName(own.TrimEnd('/'))?.Replace('\\', '/'), name);
            }
            else
            {
                var memory = lines.Select(line => line.Split(':', 3)).FirstOrDefault(parts => parts.Length == 3 && parts[1].Split(',').Contains("memory"));
                if (memory is null || !Directory.Exists(Path.Combine(Root, "memory")))
                {
                    skipped = "no cgroup memory controller is mounted under /sys/fs/cgroup";
                    return null;
                }

                parent = Path.Combine(Root, "memory") + memory[2].TrimEnd('/');
                group = Path.Combine(parent, name);
            }

            Directory.CreateDirectory(group);
            File.WriteAllText(Path.Combine(group, "cgroup.procs"), pid);
            skipped = null;
            return new ProcessMemoryLimit(group, parent, v2, anon);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            skipped = $"the cgroup files are not writable here ({e.Message})";
            TryDelete(group);
            return null;
        }
    }

    /// <summary>
    /// Limits the group to <paramref name="limitBytes"/>; the write returns once the kernel has reclaimed enough page
    /// cache for the group to fit. Null when it set the limit, else why not (the group's anonymous memory alone is more).
    /// </summary>
    public string? Limit(long limitBytes)
    {
        try
        {
            File.WriteAllText(Path.Combine(_group, _v2 ? "memory.max" : "memory.limit_in_bytes"), limitBytes.ToString(CultureInfo.InvariantCulture));
            return null;
        }
        catch (IOException e)
        {
            return $"the kernel could not fit the group under {limitBytes / (1024 * 1024)} MiB ({e.Message}); it holds {UsageBytes() / (1024 * 1024)} MiB";
        }
    }

    /// <summary>Moves the process back to the group it came from and removes the one made for it.</summary>
    public void Dispose()
    {
        try
        {
            File.WriteAllText(Path.Combine(_parent, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Then the group stays until the process exits.
            return;
        }

        TryDelete(_group);
    }

    private static void TryDelete(string? group)
    {
        if (group is null)
        {
            return;
        }

        try
        {
            Directory.Delete(group);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind, empty once the process exits; nothing else depends on it.
        }
    }
}
