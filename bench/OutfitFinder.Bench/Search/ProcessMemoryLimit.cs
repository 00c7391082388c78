using System.Globalization;
using System.Runtime.InteropServices;

namespace OutfitFinder.Bench.Search;

/// <summary>
/// Puts the running process under a whole-process memory limit (anonymous memory and page cache together), the way a
/// container limit binds a silo: a cgroup made for it beside (v2) or below (v1) the one it runs in. Used by
/// <c>memory --limit-mib</c> to make the kernel evict the mapped float vectors before queries are measured.
/// </summary>
/// <remarks>
/// <para><c>systemd-run --scope -p MemoryMax=…</c> needs systemd as the init process, which containers rarely have;
/// writing the cgroup files needs only a writable cgroup mount.</para>
/// <para>Memory a process already holds stays charged to the group it was charged in when the process moves (cgroup v2
/// always; v1 on kernels that dropped <c>memory.move_charge_at_immigrate</c>, 6.x among them). So when the charges do not
/// move, the new group's limit is the requested one less the anonymous memory the process holds at that moment: what
/// is left is what the page cache of its mapped files may take; and those mappings are paged out first
/// (<c>madvise(MADV_PAGEOUT)</c>), so the cache starts empty and every page the searches read back is charged to the
/// limited group, which must evict to fit. Example: 1,229 MiB requested, 1,060 MiB anonymous held: the floats get
/// 169 MiB of page cache.</para>
/// </remarks>
internal sealed partial class ProcessMemoryLimit : IDisposable
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
    /// <param name="limitBytes">The whole process's limit: anonymous memory and page cache.</param>
    /// <param name="mappedFolder">Files mapped from under this folder are paged out first when charges do not move.</param>
    /// <param name="skipped">Why no limit was set, or null.</param>
    public static ProcessMemoryLimit? TryApply(long limitBytes, string mappedFolder, out string? skipped)
    {
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var limit = limitBytes.ToString(CultureInfo.InvariantCulture);
        var anon = (long)ProcessMemory.Read().AnonBytes;
        var fileShare = (limitBytes - anon).ToString(CultureInfo.InvariantCulture);
        if (limitBytes <= anon)
        {
            skipped = $"the process already holds {anon / (1024 * 1024)} MiB of anonymous memory, more than the limit";
            return null;
        }

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
                File.WriteAllText(Path.Combine(group, "memory.max"), fileShare);
                File.WriteAllText(Path.Combine(group, "cgroup.procs"), pid);
                var pagedOut = PageOut(mappedFolder);
                skipped = null;
                return new ProcessMemoryLimit(group, Root + own,
                    $"cgroup v2 {group}, memory.max = {fileShare} (the limit less {anon / (1024 * 1024)} MiB of anonymous memory charged before), {pagedOut / (1024 * 1024)} MiB of mappings paged out");
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
            bool moves;
            try
            {
                File.WriteAllText(Path.Combine(group, "memory.move_charge_at_immigrate"), "3");
                moves = true;
            }
            catch (IOException)
            {
                moves = false;
            }

            File.WriteAllText(Path.Combine(group, "cgroup.procs"), pid);
            if (moves)
            {
                // Below the charges just moved in, this write makes the kernel reclaim (page cache first) until they fit.
                File.WriteAllText(Path.Combine(group, "memory.limit_in_bytes"), limit);
                skipped = null;
                return new ProcessMemoryLimit(group, current, $"cgroup v1 {group}, memory.limit_in_bytes = {limit}, charges moved with the process");
            }

            File.WriteAllText(Path.Combine(group, "memory.limit_in_bytes"), fileShare);
            var evicted = PageOut(mappedFolder);
            skipped = null;
            return new ProcessMemoryLimit(group, current,
                $"cgroup v1 {group}, memory.limit_in_bytes = {fileShare} (the limit less {anon / (1024 * 1024)} MiB of anonymous memory charged before; this kernel does not move charges), {evicted / (1024 * 1024)} MiB of mappings paged out");
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

    /// <summary>Asks the kernel to reclaim the pages of every mapping of a file under <paramref name="folder"/>; returns the bytes mapped.</summary>
    private static long PageOut(string folder)
    {
        const int pageOut = 21; // MADV_PAGEOUT, Linux 5.4 and later
        long bytes = 0;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            // "start-end perms offset dev inode path"
            var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 6 || !parts[5].StartsWith(folder, StringComparison.Ordinal))
            {
                continue;
            }

            var range = parts[0].Split('-');
            var start = long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var end = long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (Madvise((nint)start, (nuint)(end - start), pageOut) == 0)
            {
                bytes += end - start;
            }
        }

        return bytes;
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);

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
