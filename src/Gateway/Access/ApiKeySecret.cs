using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace OutfitFinder.Gateway.Access;

/// <summary>
/// The text of an API key, <c>ofk_{id}.{secret}</c>: the id finds the stored record in one read,
/// the secret proves possession. Example: <c>ofk_3f9a2c7d1e5b.kq0V…</c> (id <c>3f9a2c7d1e5b</c>).
/// </summary>
/// <remarks>
/// Secrets are 32 random bytes, not passwords people choose, so a fast keyed hash (HMAC-SHA256
/// with a per-key salt) is enough: guessing 256 random bits is hopeless at any speed, and a slow
/// KDF (PBKDF2, Argon2) would only add its cost to every request a gateway has not cached.
/// </remarks>
public static partial class ApiKeySecret
{
    /// <summary>What every key starts with, so that a leaked key is recognisable in a scan.</summary>
    public const string Prefix = "ofk_";

    /// <summary>Fewest characters a secret may have (a bootstrap key is chosen by an operator).</summary>
    public const int MinSecretLength = 32;

    /// <summary>A new key: a random id of 12 hex digits and a random 256-bit secret.</summary>
    public static (string Id, string Key) New()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        return (id, Format(id, Base64Url(RandomNumberGenerator.GetBytes(32))));
    }

    /// <summary>The key text for an id and a secret.</summary>
    public static string Format(string id, string secret) => $"{Prefix}{id}.{secret}";

    /// <summary>
    /// Splits a presented key into id and secret; false when it is not shaped like a key, so that
    /// a malformed header is refused without touching storage.
    /// </summary>
    public static bool TryParse(string? key, out string id, out string secret)
    {
        id = secret = "";
        if (key is null || !key.StartsWith(Prefix, StringComparison.Ordinal) || key.Length > 256)
        {
            return false;
        }

        var dot = key.IndexOf('.', Prefix.Length);
        if (dot < 0)
        {
            return false;
        }

        id = key[Prefix.Length..dot];
        secret = key[(dot + 1)..];
        return IsValidId(id) && secret.Length >= MinSecretLength && !secret.Any(char.IsControl);
    }

    /// <summary>Key ids: 4–32 lower-case letters, digits, '-' or '_' (they are also blob names).</summary>
    public static bool IsValidId(string id) => ValidId().IsMatch(id);

    /// <summary>A new random salt, base64.</summary>
    public static string NewSalt() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    /// <summary>HMAC-SHA256 of <paramref name="secret"/> keyed by <paramref name="salt"/>, base64.</summary>
    public static string Hash(string salt, string secret) =>
        Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(salt), Encoding.UTF8.GetBytes(secret)));

    /// <summary>Whether <paramref name="secret"/> matches the stored hash, in time that does not depend on where they differ.</summary>
    public static bool Matches(ApiKeyRecord record, string secret)
    {
        ArgumentNullException.ThrowIfNull(record);
        var expected = Convert.FromBase64String(record.Hash);
        var actual = HMACSHA256.HashData(Convert.FromBase64String(record.Salt), Encoding.UTF8.GetBytes(secret));
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    // \z, not $, which would also accept a final "\n".
    [GeneratedRegex(@"^[a-z0-9_-]{4,32}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ValidId();
}
