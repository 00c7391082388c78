using System.Globalization;

namespace OutfitFinder.Bench.Search;

/// <summary>
/// Puts the running process under a whole-process memory limit (anonymous memory and page cache together), the way a
/// container limit binds a silo: a cgroup made for it beside (v2) or below (v1) the one it runs in. Used by
/// <c>memory --limit-mib</c> to make the kernel evict the mapped float vectors before queries are measured.
/// </summary>
/// <remarks>
/// <c>systemd-run --scope -p MemoryMax=…</c> needs systemd as the init process, which containers rarely have; writing
/// the cgroup files needs only a writable cgroup mount. With cgroup v1 the process's charges (its anonymous memory and
/// the page cache it faulted in) move with it (<c>memory.move_charge_at_immigrate</c>), and setting the limit below
/// what the group holds makes the kernel reclaim page cache at once. With cgroup v2 charges stay where they were made:
/// the limit binds what the process faults in from then on.
/// </remarks>
internal sealed class ProcessMemoryLimit : IDisposable
{
    private const string Root = "/sys/fs/cgroup";
    private readonly string _group;
    private readonly string _parent;

    private ProcessMemoryLimit(string group, string parent, string description) =>
        (_group, _parent, Description) = (group, parent, description);

    /// <summary>Which cgroup was made and how it limits the process.</summary>
    public string Description { get; }

    /// <summary>
    /// Moves this process into a new cgroup limited to <paramref name="limitBytes"/>; null and a sentence saying why when
    /// the cgroup files are not there or not writable (then nothing changed).
    /// </summary>
    public static ProcessMemoryLimit? TryApply(long limitBytes, out string? skipped)
    {
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var limit = limitBytes.ToString(CultureInfo.InvariantCulture);
        var name = $"outfit-bench-{pid}";
        string? group = null;
        try
        {
            var lines = File.ReadAllLines("/proc/self/cgroup");
            if (File.Exists(Path.Combine(Root, "cgroup.controllers")))
            {
                // v2: a group that holds processes cannot also hand controllers to children, so the new group is a sibling.
                var own = lines.First(line => line.StartsWith("0::", StringComparison.Ordinal))[3..];
                var parent = Root + Path.GetDirectoryName(own.TrimEnd('/'))?.Replace('\\', '/');
                group = Path.Combine(parent, name);
                Directory.CreateDirectory(group);
                File.WriteAllText(Path.Combine(group, "memory.max"), limit);
                File.WriteAllText(Path.Combine(group, "cgroup.procs"), pid);
                skipped = null;
                return new ProcessMemoryLimit(group, Root + own, $"cgroup v2 {group}, memory.max = {limit}");
            }

            var memory = lines.Select(line => line.Split(':', 3)).FirstOrDefault(parts => parts.Length == 3 && parts[1].Split(',').Contains("memory"));
            if (memory is null || !Directory.Exists(Path.Combine(Root, "memory")))
            {
                skipped = "no cgroup memory controller is mounted under /sys/fs/cgroup";
                return null;
            }

            var current = Path.Combine(Root, "memory") + memory[2].TrimEnd('/');
            group = Path.Combine(current, name);
            Directory.CreateDirectory(group);
            File.WriteAllText(Path.Combine(group, "memory.move_charge_at_immigrate"), "3");
            File.WriteAllText(Path.Combine(group, "cgroup.procs"), pid);

            // Below the charges just moved in, this write makes the kernel reclaim (page cache first) until they fit.
            File.WriteAllText(Path.Combine(group, "memory.limit_in_bytes"), limit);
            skipped = null;
            return new ProcessMemoryLimit(group, current, $"cgroup v1 {group}, memory.limit_in_bytes = {limit}, charges moved with the process");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            skipped = $"the cgroup files are not writable here ({e.Message})";
            if (group is not null)
            {
                try
                {
                    Directory.Delete(group);
                }
                catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
                {
                    // The process may already be inside: then the group goes when the process leaves it.
                }
            }

            return null;
        }
    }

    /// <summary>Moves the process back to the group it came from and removes the one made for it.</summary>
    public void Dispose()
    {
        try
        {
            File.WriteAllText(Path.Combine(_parent, "cgroup.procs"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            Directory.Delete(_group);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind, empty once the process exits; nothing else depends on it.
        }
    }
}
