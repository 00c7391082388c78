using System.Text.Json;

namespace OutfitFinder.Core.Filters;

/// <summary>
/// A catalog's declared metadata fields in name order (ordinal), the numbering both a parsed
/// <see cref="MetadataFilter"/> and a shard's per-product values use.
/// </summary>
public sealed class FieldSchema
{
    /// <summary>Most fields a catalog may declare.</summary>
    public const int MaxFields = 64;

    /// <summary>Longest field name, in characters.</summary>
    public const int MaxNameLength = 64;

    private readonly Dictionary<string, int> _ordinals = new(StringComparer.Ordinal);

    /// <summary>A schema of the given fields (any order; they are kept in ordinal name order).</summary>
    public FieldSchema(IReadOnlyDictionary<string, FieldType>? fields)
    {
        Names = fields is null ? [] : [.. fields.Keys.Order(StringComparer.Ordinal)];
        Types = [.. Names.Select(name => fields![name])];
        for (var i = 0; i < Names.Count; i++)
        {
            _ordinals[Names[i]] = i;
        }
    }

    /// <summary>No declared fields.</summary>
    public static FieldSchema Empty { get; } = new(null);

    /// <summary>Declared field names in ordinal order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Each field's type, by ordinal.</summary>
    public IReadOnlyList<FieldType> Types { get; }

    /// <summary>Number of fields.</summary>
    public int Count => Names.Count;

    /// <summary>A field's ordinal and type, if declared.</summary>
    public bool TryGet(string name, out int ordinal, out FieldType type)
    {
        if (_ordinals.TryGetValue(name, out ordinal))
        {
            type = Types[ordinal];
            return true;
        }

        type = default;
        return false;
    }

    /// <summary>
    /// Why a field name cannot be declared, or null: non-empty, at most <see cref="MaxNameLength"/> characters,
    /// no control characters, and not a word of the filter language (<c>and</c>, <c>or</c>).
    /// </summary>
    public static string? NameError(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            return $"Field name '{name}' must be 1–{MaxNameLength} characters without control characters.";
        }

        return name is "and" or "or" ? $"Field name '{name}' is a word of the filter language; pick another." : null;
    }

    /// <summary>
    /// The declared fields' values in a product's metadata (a JSON object of strings and numbers), by ordinal:
    /// a value of the wrong type or a missing field is left default and matches nothing.
    /// </summary>
    public FieldValue[] Extract(string? metadataJson)
    {
        var values = new FieldValue[Count];
        if (Count == 0 || string.IsNullOrEmpty(metadataJson))
        {
            return values;
        }

        try
        {
            using var document = JsonDocument.Parse(metadataJson);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return values;
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!TryGet(property.Name, out var ordinal, out var type))
                {
                    continue;
                }

                if (type == FieldType.Number && property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetDouble(out var number))
                {
                    values[ordinal] = FieldValue.Of(number);
                }
                else if (type == FieldType.String && property.Value.ValueKind == JsonValueKind.String)
                {
                    values[ordinal] = FieldValue.Of(property.Value.GetString()!);
                }
            }
        }
        catch (JsonException)
        {
            // Metadata is validated at the gateway; a record that is not JSON simply has no field values.
        }

        return values;
    }
}
