using Microsoft.Extensions.Options;

namespace OutfitFinder.Gateway.Access;

/// <summary>Whether callers must present an API key.</summary>
public enum AuthMode
{
    /// <summary>Every caller may do everything: a laptop's one-command start.</summary>
    None,

    /// <summary>Every API call needs a key whose scopes and catalogs allow it.</summary>
    Keys,
}

/// <summary>Who may call the gateway. Bound from <c>Auth</c>.</summary>
public sealed class AuthOptions
{
    /// <summary>
    /// <c>None</c> or <c>Keys</c>. Default: <c>None</c> for the embedded gateway (Cluster:Mode=Embedded),
    /// <c>Keys</c> for a gateway of a cluster (Cluster:Mode=Client).
    /// </summary>
    public AuthMode? Mode { get; set; }

    /// <summary>
    /// How long a gateway trusts what it read about a key (found, missing or revoked) before reading
    /// it again: the longest a revoked key keeps working on another gateway. Default: 5 s.
    /// </summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A key (<c>ofk_{id}.{secret}</c>, secret of at least 32 characters) that is stored with every
    /// scope at start unless a key with that id exists: how the first admin key of a fresh cluster
    /// is made. Pass it through the environment (<c>Auth__BootstrapKey</c>), never a file in source
    /// control. Default: none.
    /// </summary>
    public string? BootstrapKey { get; set; }

    /// <summary>
    /// Browser origins (<c>https://shop.example.com</c>) allowed to call with any key; keys can add
    /// origins of their own. Default: none (same-origin only).
    /// </summary>
    public string[] CorsOrigins { get; set; } = [];

    /// <summary>The mode after defaults: <see cref="Mode"/> when set, else by cluster mode.</summary>
    public AuthMode EffectiveMode => Mode ?? AuthMode.None;
}

/// <summary>Fails start-up with a sentence naming the <c>Auth</c> setting to fix.</summary>
public sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Mode is { } mode && !Enum.IsDefined(mode))
        {
            failures.Add($"Auth:Mode is '{mode}'; use None or Keys.");
        }

        if (options.CacheTtl <= TimeSpan.Zero || options.CacheTtl > TimeSpan.FromMinutes(10))
        {
            failures.Add($"Auth:CacheTtl is {options.CacheTtl}; it must be positive and at most 00:10:00, since it bounds how long a revoked key keeps working.");
        }

        if (!string.IsNullOrEmpty(options.BootstrapKey) && !ApiKeySecret.TryParse(options.BootstrapKey, out _, out _))
        {
            failures.Add($"Auth:BootstrapKey is not a key: use {ApiKeySecret.Prefix}<id>.<secret> with an id of 4–32 lower-case letters or digits "
                + $"and a secret of at least {ApiKeySecret.MinSecretLength} characters, e.g. {ApiKeySecret.Prefix}admin.$(openssl rand -hex 24).");
        }

        foreach (var origin in options.CorsOrigins)
        {
            if (CorsOrigin.Normalize(origin) is null)
            {
                failures.Add($"Auth:CorsOrigins has '{origin}'; an origin is a scheme and host with an optional port, such as https://shop.example.com.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Browser origins as CORS compares them: scheme://host[:port], lower case, no path.</summary>
public static class CorsOrigin
{
    /// <summary>The origin in its compared form, or null when <paramref name="origin"/> is not one.</summary>
    public static string? Normalize(string? origin)
    {
        if (!Uri.TryCreate(origin?.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment)
            || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return null;
        }

        return uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
    }
}
