using Spectre.Console;

namespace OutfitFinder.Cli;

/// <summary>What every command runs with; built once per invocation by <see cref="CliApp"/>.</summary>
/// <param name="Http">Shared for all requests of the invocation; owned by the caller.</param>
/// <param name="Out">Results: tables, summaries, JSON.</param>
/// <param name="Error">Errors and warnings; stderr for the real process, so <c>--json</c> output stays parseable.</param>
/// <param name="GatewayFromEnvironment">The value of <c>OUTFIT_GATEWAY</c>, or null when unset.</param>
internal sealed record CliServices(HttpClient Http, IAnsiConsole Out, IAnsiConsole Error, string? GatewayFromEnvironment)
{
    /// <summary>How often a followed server-side job is asked for its progress. Tests shorten it.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The value of <c>OUTFIT_API_KEY</c>, or null when unset; the <c>--api-key</c> option wins over it.</summary>
    public string? ApiKeyFromEnvironment { get; init; }
}
