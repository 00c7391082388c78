using System.CommandLine;
using System.CommandLine.Parsing;
using OutfitFinder.Cli.Http;
using Spectre.Console;

namespace OutfitFinder.Cli;

/// <summary>The global <c>--gateway</c> option and the error handling every gateway command shares.</summary>
internal static class GatewayCommand
{
    public const string EnvironmentVariable = "OUTFIT_GATEWAY";

    public static readonly Uri DefaultGateway = new("http://localhost:5080");

    /// <summary>Where the API key comes from when <c>--api-key</c> is not given.</summary>
    public const string ApiKeyEnvironmentVariable = "OUTFIT_API_KEY";

    /// <summary>The option's name, looked up by every gateway command's action.</summary>
    public const string ApiKeyOptionName = "--api-key";

    /// <summary>
    /// <c>--api-key KEY</c> on the root command and every subcommand, sent as <c>Authorization: Bearer</c>.
    /// Precedence: the option, then <paramref name="fromEnvironment"/> (<c>OUTFIT_API_KEY</c>); none
    /// sends no key, which a gateway with <c>Auth:Mode=None</c> accepts. Prefer the environment: a
    /// command line is visible to every user of the machine.
    /// </summary>
    public static Option<string?> CreateApiKeyOption(string? fromEnvironment) => new(ApiKeyOptionName)
    {
        Description = $"API key for a gateway with Auth:Mode=Keys; also read from ${ApiKeyEnvironmentVariable}.",
        HelpName = "KEY",
        Recursive = true,
        DefaultValueFactory = _ => string.IsNullOrWhiteSpace(fromEnvironment) ? null : fromEnvironment.Trim(),
    };

    /// <summary>
    /// <c>--gateway URL</c> on the root command and every subcommand. Precedence: the option, then
    /// <paramref name="fromEnvironment"/> (<c>OUTFIT_GATEWAY</c>), then <see cref="DefaultGateway"/>.
    /// </summary>
    public static Option<Uri> CreateOption(string? fromEnvironment)
    {
        return new Option<Uri>("--gateway")
        {
            Description = $"Gateway base URL; also read from ${EnvironmentVariable}.",
            HelpName = "URL",
            Recursive = true,
            DefaultValueFactory = result => string.IsNullOrWhiteSpace(fromEnvironment)
                ? DefaultGateway
                : Parse(fromEnvironment, EnvironmentVariable, result),
            CustomParser = result => Parse(result.Tokens[^1].Value, "--gateway", result),
        };
    }

    /// <summary>
    /// Runs <paramref name="action"/> with a client for the chosen gateway, turning the failures a
    /// user can act on into one red line on stderr and a non-zero exit code instead of a stack trace.
    /// </summary>
    public static void SetGatewayAction(
        this Command command,
        CliServices services,
        Option<Uri> gateway,
        Func<ParseResult, GatewayClient, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var client = new GatewayClient(services.Http, parseResult.GetRequiredValue(gateway), parseResult.GetValue<string?>(ApiKeyOptionName));
            try
            {
                return await action(parseResult, client, cancellationToken);
            }
            catch (GatewayException ex)
            {
                services.Error.WriteError(ex.Describe());
            }
            catch (GatewayUnreachableException ex)
            {
                services.Error.WriteError(ex.Message);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                services.Error.WriteError(ex.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                services.Error.WriteError("Cancelled.");
                return ExitCodes.Cancelled;
            }

            return ExitCodes.Failure;
        });
    }

    public static void WriteError(this IAnsiConsole console, string message) =>
        console.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");

    public static void WriteWarning(this IAnsiConsole console, string message) =>
        console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(message)}");

    private static Uri Parse(string value, string source, ArgumentResult result)
    {
        if (Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        result.AddError($"{source} must be an http:// or https:// URL, got '{value}'.");
        return DefaultGateway;
    }
}
