using System.CommandLine;
using System.Globalization;
using OutfitFinder.Cli.Http;
using Spectre.Console;

namespace OutfitFinder.Cli.Keys;

/// <summary><c>outfit keys create|list|revoke</c>: API keys, through the gateway's admin endpoint.</summary>
internal static class KeysCommands
{
    public static Command Create(CliServices services, Option<Uri> gateway)
    {
        var keys = new Command("keys", "Create, list and revoke API keys (needs a key with the admin scope).");
        keys.Subcommands.Add(CreateCommand(services, gateway));
        keys.Subcommands.Add(ListCommand(services, gateway));
        keys.Subcommands.Add(RevokeCommand(services, gateway));
        return keys;
    }

    private static Command CreateCommand(CliServices services, Option<Uri> gateway)
    {
        var scopes = new Option<string[]>("--scopes")
        {
            Description = "What the key may do: search, write, ingest, admin (comma-separated or repeated). Give browsers search only.",
            HelpName = "SCOPES",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var name = new Option<string?>("--name") { Description = "A label for people, e.g. \"acme storefront\".", HelpName = "NAME" };
        var catalogs = new Option<string[]>("--catalogs")
        {
            Description = "Only these catalogs (comma-separated or repeated).",
            HelpName = "CATALOGS",
            AllowMultipleArgumentsPerToken = true,
        };
        var prefix = new Option<string?>("--catalog-prefix") { Description = "Only catalogs whose names start with this (one retailer's).", HelpName = "PREFIX" };
        var origins = new Option<string[]>("--cors-origins")
        {
            Description = "Browser origins that may call with this key, e.g. https://shop.example.com.",
            HelpName = "ORIGINS",
            AllowMultipleArgumentsPerToken = true,
        };
        var maxProducts = new Option<long?>("--max-products") { Description = "Writes with this key may not grow a catalog beyond this many products.", HelpName = "N" };
        var command = new Command("create", "Create a key and print it: it is shown this once, store it now.")
        {
            scopes, name, catalogs, prefix, origins, maxProducts,
        };
        command.SetGatewayAction(services, gateway, async (parseResult, client, cancellationToken) =>
        {
            var body = new CreateKeyBody(
                parseResult.GetValue(name),
                Split(parseResult.GetValue(scopes)) ?? [],
                Split(parseResult.GetValue(catalogs)),
                parseResult.GetValue(prefix),
                Split(parseResult.GetValue(origins)),
                parseResult.GetValue(maxProducts));
            var created = await client.CreateKeyAsync(body, cancellationToken);
            services.Out.MarkupLine($"Created key [bold]{Markup.Escape(created.Info.Id)}[/] ({Markup.Escape(Describe(created.Info))}).");
            services.Out.MarkupLine("Store it now; it is not shown again:");
            services.Out.WriteLine(created.Key);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ListCommand(CliServices services, Option<Uri> gateway)
    {
        var command = new Command("list", "List every key: id, name, scopes, limits and whether it is revoked; never a secret.");
        command.SetGatewayAction(services, gateway, async (_, client, cancellationToken) =>
        {
            var keys = await client.ListKeysAsync(cancellationToken);
            var table = new Table().AddColumns("Id", "Name", "Scopes", "Catalogs", "Created", "Revoked");
            foreach (var key in keys)
            {
                table.AddRow(
                    Markup.Escape(key.Id),
                    Markup.Escape(key.Name ?? ""),
                    Markup.Escape(string.Join(",", key.Scopes)),
                    Markup.Escape(Catalogs(key)),
                    key.CreatedAt.ToString("u", CultureInfo.InvariantCulture),
                    key.RevokedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "");
            }

            services.Out.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command RevokeCommand(CliServices services, Option<Uri> gateway)
    {
        var id = new Argument<string>("ID") { Description = "The key's id (the part between ofk_ and the '.')." };
        var command = new Command("revoke", "Revoke a key: every gateway refuses it within Auth:CacheTtl (default 5 s).") { id };
        command.SetGatewayAction(services, gateway, async (parseResult, client, cancellationToken) =>
        {
            var revoked = await client.RevokeKeyAsync(parseResult.GetRequiredValue(id), cancellationToken);
            services.Out.MarkupLine($"Revoked key [bold]{Markup.Escape(revoked.Id)}[/].");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>"a,b" and repeated options alike become one list; nothing given stays null (no limit).</summary>
    private static string[]? Split(string[]? values)
    {
        var parts = (values ?? []).SelectMany(value => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
        return parts.Length == 0 ? null : parts;
    }

    private static string Describe(KeyInfo key)
    {
        var catalogs = Catalogs(key);
        return $"{string.Join(", ", key.Scopes)}" + (catalogs.Length > 0 ? $"; {catalogs}" : "; every catalog");
    }

    private static string Catalogs(KeyInfo key)
    {
        var parts = new List<string>();
        if (key.Catalogs is { Count: > 0 } listed)
        {
            parts.Add(string.Join(",", listed));
        }

        if (key.CatalogPrefix is { } prefix)
        {
            parts.Add(prefix + "*");
        }

        return string.Join(" ", parts);
    }
}
