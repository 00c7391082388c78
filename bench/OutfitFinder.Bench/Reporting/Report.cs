using System.Text.Json;

namespace OutfitFinder.Bench.Reporting;

/// <summary>
/// Where a benchmark writes its results: Markdown tables for people, and one JSON object per line
/// per measurement for scripts (every such line starts with <c>{"benchmark":</c>).
/// </summary>
internal sealed class Report(TextWriter output)
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Where the report goes, for notices that belong beside the figures.</summary>
    public TextWriter Output => output;

    public void Line(string text = "") => output.WriteLine(text);

    public void Table(MarkdownTable table) => output.Write(table.ToString());

    public void Json<T>(T measurement) => output.WriteLine(JsonSerializer.Serialize(measurement, JsonOptions));

    /// <summary>The machine as a sentence and as a JSON line.</summary>
    public MachineInfo Machine()
    {
        var machine = MachineInfo.Read();
        Line($"Machine: {machine}");
        Json(new { benchmark = "machine", machine.LogicalCpus, machine.CpuModel, machine.MemoryGiB, machine.Runtime, machine.Os, machine.LoadAverage });
        return machine;
    }

    /// <summary>The load average once the measurements are done: together with the one at start it bounds the noise.</summary>
    public void LoadAtEnd() => Line($"Load average at end: {MachineInfo.ReadLoadAverage()}");

    /// <summary>Milliseconds with three decimals: microsecond resolution, no float noise in the JSON.</summary>
    public static double Ms(double milliseconds) => Math.Round(milliseconds, 3);

    /// <summary>Rates (per second) with one decimal.</summary>
    public static double Rate(double perSecond) => Math.Round(perSecond, 1);
}
