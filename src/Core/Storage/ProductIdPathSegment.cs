using System.Text;

namespace OutfitFinder.Core.Storage;

/// <summary>
/// Turns a product id (any user string: spaces, '/', '..', unicode) into one safe blob path
/// segment and back. The segment is the id's UTF-8 bytes in lowercase, unpadded base32
/// (RFC 4648 alphabet): <c>"SKU 1/a"</c> becomes <c>"knfvkibrf5qq"</c>.
/// </summary>
/// <remarks>
/// Base32 rather than base64url or percent-encoding because the local store runs on laptops
/// whose file systems ignore case: ids differing only in case ("ab", "AB") must not share a
/// folder, and both alternatives keep case. The alphabet (a–z, 2–7) needs no escaping in a file
/// name, a URL or an Azure blob name, can never spell '.' or '..', and grows a name by a fixed
/// 8/5, so a cap on the id is a cap on the segment.
/// </remarks>
public static class ProductIdPathSegment
{
    /// <summary>
    /// Longest product id that has a segment, in UTF-8 bytes; its segment is at most 205
    /// characters, within every file system's 255-byte name limit.
    /// </summary>
    public const int MaxProductIdUtf8Bytes = 128;

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The segment for <paramref name="productId"/>.</summary>
    /// <exception cref="ArgumentException">The id is empty, longer than <see cref="MaxProductIdUtf8Bytes"/> or not valid UTF-16.</exception>
    public static string Encode(string productId)
    {
        ArgumentNullException.ThrowIfNull(productId);
        if (productId.Length == 0)
        {
            throw new ArgumentException("A product id cannot be empty.", nameof(productId));
        }

        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(productId);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"The product id contains a lone surrogate at index {e.Index}, so it has no UTF-8 form.", nameof(productId), e);
        }

        if (bytes.Length > MaxProductIdUtf8Bytes)
        {
            throw new ArgumentException($"The product id is {bytes.Length} UTF-8 bytes long; the limit is {MaxProductIdUtf8Bytes}.", nameof(productId));
        }

        var segment = new StringBuilder((bytes.Length * 8 + 4) / 5);
        var buffer = 0;
        var bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                segment.Append(Alphabet[(buffer >> bits) & 31]);
            }

            buffer &= (1 << bits) - 1;
        }

        if (bits > 0)
        {
            segment.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return segment.ToString();
    }

    /// <summary>The product id whose segment is <paramref name="segment"/>; false when it is not one <see cref="Encode"/> makes.</summary>
    public static bool TryDecode(string segment, out string productId)
    {
        ArgumentNullException.ThrowIfNull(segment);
        productId = "";
        var bytes = new List<byte>(segment.Length * 5 / 8);
        var buffer = 0;
        var bits = 0;
        foreach (var c in segment)
        {
            var value = c switch
            {
                >= 'a' and <= 'z' => c - 'a',
                >= '2' and <= '7' => c - '2' + 26,
                _ => -1,
            };
            if (value < 0)
            {
                return false;
            }

            buffer = ((buffer << 5) | value) & 0xFFF;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                bytes.Add((byte)(buffer >> bits));
            }
        }

        // Encode pads the last character with zero bits, fewer than 5 of them; anything else is
        // not an encoding (and accepting it would give one id two segments).
        if (bits >= 5 || (buffer & ((1 << bits) - 1)) != 0 || bytes.Count is 0 or > MaxProductIdUtf8Bytes)
        {
            return false;
        }

        try
        {
            productId = StrictUtf8.GetString(bytes.ToArray());
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
