using Spectre.Console;

namespace OutfitFinder.Cli.Tests.Infrastructure;

/// <summary>What a run of <c>outfit</c> printed (output and errors together) and its exit code.</summary>
internal sealed record CliResult(int ExitCode, string Output);

/// <summary>Runs the CLI in-process with a captured, non-interactive console.</summary>
internal static class CliHarness
{
    /// <summary>Runs through <see cref="CliApp.RunAsync"/>, the same entry point as the real process.</summary>
    public static Task<CliResult> RunAsync(FakeGateway gateway, params string[] args) =>
        RunAsync(gateway, gatewayFromEnvironment: null, args);

    /// <summary>Runs as if <c>OUTFIT_GATEWAY</c> were set to <paramref name="gatewayFromEnvironment"/>.</summary>
    public static Task<CliResult> RunWithEnvironmentAsync(FakeGateway gateway, string gatewayFromEnvironment, params string[] args) =>
        RunAsync(gateway, gatewayFromEnvironment, args);

    /// <summary>Runs through <see cref="CliApp.RunAsync"/> with <paramref name="http"/>, e.g. a client of an in-process gateway.</summary>
    public static async Task<CliResult> RunAsync(HttpClient http, params string[] args)
    {
        var (console, output) = CreateConsole();
        var exitCode = await CliApp.RunAsync(args, http, console);
        return new CliResult(exitCode, output.ToString());
    }

    private static async Task<CliResult> RunAsync(FakeGateway gateway, string? gatewayFromEnvironment, string[] args)
    {
        using var http = gateway.CreateClient();
        if (gatewayFromEnvironment is null)
        {
            return await RunAsync(http, args);
        }

        // The environment is process-wide and tests run in parallel, so OUTFIT_GATEWAY's value is injected.
        var (console, output) = CreateConsole();
        var exitCode = await CliApp.InvokeAsync(
            args, new CliServices(http, console, console, gatewayFromEnvironment), console.Profile.Out.Writer, CancellationToken.None);
        return new CliResult(exitCode, output.ToString());
    }

    /// <summary>Runs with a short poll interval, for commands that follow a server-side job.</summary>
    public static async Task<CliResult> RunPollingAsync(FakeGateway gateway, params string[] args)
    {
        using var http = gateway.CreateClient();
        var (console, output) = CreateConsole();
        var services = new CliServices(http, console, console, null) { PollInterval = TimeSpan.FromMilliseconds(5) };
        var exitCode = await CliApp.InvokeAsync(args, services, console.Profile.Out.Writer, CancellationToken.None);
        return new CliResult(exitCode, output.ToString());
    }

    public static (IAnsiConsole Console, StringWriter Output) CreateConsole()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.No,
            Ansi = AnsiSupport.No,
        });
        console.Profile.Width = CliApp.UnwrappedWidth;
        return (console, output);
    }
}
