using System.Diagnostics;

namespace OutfitFinder.Deploy.Tests;

/// <summary>The repository's files and the command-line tools that check them.</summary>
internal static class Repository
{
    /// <summary>The repository root: the nearest folder above the test's output that holds <c>Cluster.sln</c>.</summary>
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>
    /// Skips the calling test when <paramref name="tool"/> is not installed, except in CI (<c>CI=true</c>), where
    /// scripts/test.sh installs it and its absence is a failure.
    /// </summary>
    public static void RequireTool(string tool)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(folder => folder.Length > 0 && File.Exists(Path.Combine(folder, tool)));
        if (!found && Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.Fail($"{tool} is not installed; scripts/test.sh installs it (scripts/tools.sh).");
        }

        Skip.IfNot(found, $"{tool} is not installed; run scripts/test.sh, which installs it.");
    }

    /// <summary>Runs a tool in the repository root and returns its exit code and output.</summary>
    public static (int ExitCode, string Output, string Error) Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool)
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', arguments)} did not finish within 2 minutes.");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Cluster.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Cluster.sln above {AppContext.BaseDirectory}.");
    }
}
