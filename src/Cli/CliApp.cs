using System.CommandLine;
using OutfitFinder.Cli.Bench;
using OutfitFinder.Cli.Catalogs;
using OutfitFinder.Cli.Charts;
using OutfitFinder.Cli.Evaluation;
using OutfitFinder.Cli.Ingestion;
using OutfitFinder.Cli.Maps;
using OutfitFinder.Cli.Pairs;
using OutfitFinder.Cli.Search;
using OutfitFinder.Cli.Training;
using Spectre.Console;

namespace OutfitFinder.Cli;

/// <summary>The <c>outfit</c> command line: a client of the gateway's REST API, plus in-process index benchmarks.</summary>
public static class CliApp
{
    /// <summary>Console width used when output is not a terminal; wide enough that no line wraps.</summary>
    internal const int UnwrappedWidth = 1000;

    /// <summary>
    /// Parses <paramref name="args"/>, runs the command and returns the process exit code.
    /// </summary>
    /// <param name="args">Command-line arguments, without the program name.</param>
    /// <param name="http">Client for gateway calls; a test passes one over a fake handler or a test server. Default: a new one, disposed on return.</param>
    /// <param name="console">Receives all output, errors and help included. Default: stdout for results, stderr for errors.</param>
    /// <param name="cancellationToken">Stops the command; Ctrl+C and SIGTERM do too.</param>
    public static async Task<int> RunAsync(
        string[] args, HttpClient? http = null, IAnsiConsole? console = null, CancellationToken cancellationToken = default)
    {
        using var ownedHttp = http is null ? new HttpClient() : null;
        var services = new CliServices(
            http ?? ownedHttp!,
            console ?? CreateConsole(Console.Out),
            console ?? CreateConsole(Console.Error),
            Environment.GetEnvironmentVariable(GatewayCommand.EnvironmentVariable))
        {
            ApiKeyFromEnvironment = Environment.GetEnvironmentVariable(GatewayCommand.ApiKeyEnvironmentVariable),
        };
        return await InvokeAsync(args, services, console?.Profile.Out.Writer, cancellationToken);
    }

    /// <summary>Parses and runs one command line against <paramref name="services"/>.</summary>
    /// <param name="args">Command-line arguments, without the program name.</param>
    /// <param name="services">What the commands run with.</param>
    /// <param name="usageWriter">Where System.CommandLine writes help and parse errors; null for stdout and stderr.</param>
    /// <param name="cancellationToken">Stops the command.</param>
    internal static Task<int> InvokeAsync(
        string[] args, CliServices services, TextWriter? usageWriter, CancellationToken cancellationToken)
    {
        var configuration = usageWriter is null
            ? new InvocationConfiguration()
            : new InvocationConfiguration { Output = usageWriter, Error = usageWriter };
        return BuildRootCommand(services).Parse(args).InvokeAsync(configuration, cancellationToken);
    }

    private static IAnsiConsole CreateConsole(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });
        if (!console.Profile.Out.IsTerminal)
        {
            // A file or pipe has no width: keep each line whole for logs and grep instead of wrapping at 80.
            console.Profile.Width = UnwrappedWidth;
        }

        return console;
    }

    /// <summary>Builds the command tree; every action runs against <paramref name="services"/>.</summary>
    internal static RootCommand BuildRootCommand(CliServices services)
    {
        var gateway = GatewayCommand.CreateOption(services.GatewayFromEnvironment);
        var root = new RootCommand("OutfitFinder: manage catalogs, ingest products and search by photo through the gateway.");
        root.Options.Add(gateway);
        root.Options.Add(GatewayCommand.CreateApiKeyOption(services.ApiKeyFromEnvironment));
        root.Subcommands.Add(CatalogCommands.Create(services, gateway));
        root.Subcommands.Add(Keys.KeysCommands.Create(services, gateway));
        root.Subcommands.Add(IngestCommand.Create(services, gateway));
        root.Subcommands.Add(SearchCommand.Create(services, gateway));
        root.Subcommands.Add(EvalCommand.Create(services, gateway));
        root.Subcommands.Add(PairsCommand.Create(services));
        root.Subcommands.Add(TsneCommand.Create(services, gateway));
        root.Subcommands.Add(ChartCommand.Create(services));
        root.Subcommands.Add(BenchCommand.Create(services));
        root.Subcommands.Add(TrainCommand.Create(services));
        root.Subcommands.Add(Study.StudyCommand.Create(services));
        return root;
    }
}
