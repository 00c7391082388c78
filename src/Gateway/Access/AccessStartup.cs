using Microsoft.Extensions.Options;

namespace OutfitFinder.Gateway.Access;

/// <summary>
/// Says at start whether keys are checked, stores <c>Auth:BootstrapKey</c> when given, and on a
/// fresh cluster (keys on, none stored) says how to make the first admin key.
/// </summary>
internal sealed partial class AccessStartup(IOptions<AuthOptions> auth, ApiKeyStore keys, ILogger<AccessStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = auth.Value;
        if (options.EffectiveMode == AuthMode.None)
        {
            KeysOff(logger);
            return;
        }

        if (!string.IsNullOrEmpty(options.BootstrapKey))
        {
            ApiKeySecret.TryParse(options.BootstrapKey, out var id, out _);
            if (await keys.EnsureBootstrapAsync(options.BootstrapKey, cancellationToken))
            {
                BootstrapStored(logger, id);
            }
            else
            {
                BootstrapExists(logger, id);
            }
        }
        else if ((await keys.ListAsync(cancellationToken)).All(key => key.RevokedAt is not null))
        {
            NoKeys(logger, ApiKeySecret.Prefix);
        }

        KeysOn(logger, options.CacheTtl.TotalSeconds);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning,
        Message = "Auth:Mode is None: API keys are off and every caller may create catalogs, write products and start ingestions. Set Auth:Mode=Keys before this gateway is reachable from other machines.")]
    private static partial void KeysOff(ILogger logger);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Information,
        Message = "Auth:Mode is Keys: every API call needs a key; key lookups are cached for {CacheTtlSeconds} s, so a revocation reaches every gateway within that time.")]
    private static partial void KeysOn(ILogger logger, double cacheTtlSeconds);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Information, Message = "Stored the bootstrap key '{KeyId}' (every scope) from Auth:BootstrapKey.")]
    private static partial void BootstrapStored(ILogger logger, string keyId);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Information,
        Message = "A key with the bootstrap key's id '{KeyId}' already exists; Auth:BootstrapKey changes nothing (a revoked one stays revoked).")]
    private static partial void BootstrapExists(ILogger logger, string keyId);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Warning,
        Message = "No API key exists yet, so every API call will be refused. Create the first admin key: restart this gateway with "
            + "Auth__BootstrapKey={Prefix}admin.$(openssl rand -hex 24) in its environment, then make narrower keys with "
            + "'outfit keys create --scopes search --catalog-prefix acme-' and revoke the bootstrap key when it is no longer needed.")]
    private static partial void NoKeys(ILogger logger, string prefix);
}
