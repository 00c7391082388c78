using System.Globalization;
using System.Runtime.InteropServices;

namespace OutfitFinder.Bench.Reporting;

/// <summary>What the numbers were measured on, read at start so every run prints it beside its figures.</summary>
/// <param name="LogicalCpus">Processors this process may use.</param>
/// <param name="CpuModel">The first <c>model name</c> in <c>/proc/cpuinfo</c>.</param>
/// <param name="MemoryGiB">Total memory from <c>/proc/meminfo</c>.</param>
/// <param name="Runtime">.NET runtime description.</param>
/// <param name="Os">Operating system description.</param>
/// <param name="LoadAverage">1, 5 and 15 minute load averages at start: other work on a shared machine shows here.</param>
internal sealed record MachineInfo(int LogicalCpus, string CpuModel, double MemoryGiB, string Runtime, string Os, string LoadAverage)
{
    public static MachineInfo Read() => new(
        Environment.ProcessorCount,
        ReadCpuModel(),
        ReadMemoryGiB(),
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.OSDescription,
        ReadLoadAverage());

    public override string ToString() =>
        $"{LogicalCpus} logical CPUs ({CpuModel}), {MemoryGiB:F1} GiB RAM, {Runtime}, {Os}; load average at start {LoadAverage}";

    private static string ReadCpuModel()
    {
        var line = ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
    }

    private static double ReadMemoryGiB()
    {
        // "MemTotal:       24576000 kB"
        var line = ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var kibibytes = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
        return kibibytes is not null && long.TryParse(kibibytes, CultureInfo.InvariantCulture, out var kib)
            ? Math.Round(kib / (1024.0 * 1024.0), 1)
            : 0;
    }

    /// <summary>The 1, 5 and 15 minute load averages now, or <c>unknown</c>.</summary>
    public static string ReadLoadAverage()
    {
        var line = ReadLines("/proc/loadavg").FirstOrDefault();
        return line is null ? "unknown" : string.Join(' ', line.Split(' ').Take(3));
    }

    private static IEnumerable<string> ReadLines(string path) => File.Exists(path) ? File.ReadLines(path) : [];
}
