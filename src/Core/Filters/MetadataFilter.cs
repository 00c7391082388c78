using System.Globalization;
using System.Text.Json;

namespace OutfitFinder.Core.Filters;

/// <summary>The type a catalog declares for an indexed metadata field.</summary>
public enum FieldType
{
    /// <summary>Compared as ordinal strings; <c>eq</c> and <c>in</c> only.</summary>
    String,

    /// <summary>Compared as doubles; <c>eq</c>, <c>in</c> and the ranges <c>lt</c>, <c>lte</c>, <c>gt</c>, <c>gte</c>.</summary>
    Number,
}

/// <summary>Wire names of <see cref="FieldType"/>: <c>string</c> and <c>number</c>.</summary>
public static class FieldTypes
{
    /// <summary>Parses <c>string</c> or <c>number</c> (ordinal, lower case).</summary>
    public static bool TryParse(string? text, out FieldType type)
    {
        (var known, type) = text switch
        {
            "string" => (true, FieldType.String),
            "number" => (true, FieldType.Number),
            _ => (false, FieldType.String),
        };
        return known;
    }

    /// <summary>The wire name of <paramref name="type"/>.</summary>
    public static string ToWireName(FieldType type) => type == FieldType.Number ? "number" : "string";
}

/// <summary>
/// A row predicate over a product's declared metadata fields: a tree of comparisons joined by <c>and</c> and
/// <c>or</c>. Built by <see cref="MetadataFilterParser"/>, which has already checked every field and value type.
/// </summary>
/// <remarks>
/// A product without the field (or with a value of another type) matches no comparison on it, so
/// <c>{"price":{"lt":50}}</c> never returns products that have no price.
/// </remarks>
public abstract record MetadataFilter
{
    /// <summary>Whether a product whose declared fields hold <paramref name="values"/> passes.</summary>
    /// <param name="values">The product's values by field ordinal (<see cref="FieldValue"/>); missing fields are default.</param>
    public abstract bool Matches(ReadOnlySpan<FieldValue> values);

    /// <summary>The filter as its canonical JSON, the form the gateway sends to shards.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal abstract void Write(Utf8JsonWriter writer);
}

/// <summary>One field's value in a product, or none: a string or a number, never both.</summary>
public readonly record struct FieldValue(string? Text, double Number, bool HasNumber)
{
    /// <summary>A string value.</summary>
    public static FieldValue Of(string text) => new(text, 0, false);

    /// <summary>A number value.</summary>
    public static FieldValue Of(double number) => new(null, number, true);

    /// <summary>The value as the filter language writes it.</summary>
    public override string ToString() => Text ?? (HasNumber ? Number.ToString("R", CultureInfo.InvariantCulture) : "none");
}

/// <summary>The field equals one of <see cref="Values"/> (a bare value is a one-element list).</summary>
/// <param name="Field">Field name.</param>
/// <param name="Ordinal">The field's position in the catalog's declared fields (name order).</param>
/// <param name="Type">The field's declared type; every value has it.</param>
/// <param name="Values">Accepted values, at least one.</param>
public sealed record InFilter(string Field, int Ordinal, FieldType Type, IReadOnlyList<FieldValue> Values) : MetadataFilter
{
    /// <inheritdoc />
    public override bool Matches(ReadOnlySpan<FieldValue> values)
    {
        if (Ordinal >= values.Length)
        {
            return false;
        }

        var value = values[Ordinal];
        foreach (var wanted in Values)
        {
            if (Type == FieldType.Number ? value.HasNumber && value.Number == wanted.Number
                : value.Text is not null && string.Equals(value.Text, wanted.Text, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    internal override void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WritePropertyName(Field);
        writer.WriteStartObject();
        writer.WritePropertyName("in");
        writer.WriteStartArray();
        foreach (var value in Values)
        {
            if (Type == FieldType.Number)
            {
                writer.WriteNumberValue(value.Number);
            }
            else
            {
                writer.WriteStringValue(value.Text);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}

/// <summary>A number field within bounds; a null bound is open.</summary>
/// <param name="Field">Field name.</param>
/// <param name="Ordinal">The field's position in the catalog's declared fields.</param>
/// <param name="Lower">Lower bound, or null.</param>
/// <param name="LowerInclusive"><c>gte</c> rather than <c>gt</c>.</param>
/// <param name="Upper">Upper bound, or null.</param>
/// <param name="UpperInclusive"><c>lte</c> rather than <c>lt</c>.</param>
public sealed record RangeFilter(string Field, int Ordinal, double? Lower, bool LowerInclusive, double? Upper, bool UpperInclusive)
    : MetadataFilter
{
    /// <inheritdoc />
    public override bool Matches(ReadOnlySpan<FieldValue> values) =>
        Ordinal < values.Length && values[Ordinal].HasNumber && Contains(values[Ordinal].Number);

    /// <summary>Whether <paramref name="number"/> lies within the bounds.</summary>
    public bool Contains(double number) =>
        (Lower is not { } low || (LowerInclusive ? number >= low : number > low))
        && (Upper is not { } high || (UpperInclusive ? number <= high : number < high));

    internal override void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WritePropertyName(Field);
        writer.WriteStartObject();
        if (Lower is { } low)
        {
            writer.WriteNumber(LowerInclusive ? "gte" : "gt", low);
        }

        if (Upper is { } high)
        {
            writer.WriteNumber(UpperInclusive ? "lte" : "lt", high);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}

/// <summary>Every part passes (<see cref="IsAnd"/>) or at least one does.</summary>
public sealed record BooleanFilter(bool IsAnd, IReadOnlyList<MetadataFilter> Parts) : MetadataFilter
{
    /// <inheritdoc />
    public override bool Matches(ReadOnlySpan<FieldValue> values)
    {
        foreach (var part in Parts)
        {
            if (part.Matches(values) != IsAnd)
            {
                return !IsAnd;
            }
        }

        return IsAnd;
    }

    internal override void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WritePropertyName(IsAnd ? "and" : "or");
        writer.WriteStartArray();
        foreach (var part in Parts)
        {
            part.Write(writer);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
