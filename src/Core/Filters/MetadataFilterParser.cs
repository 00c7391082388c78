using System.Globalization;
using System.Text.Json;

namespace OutfitFinder.Core.Filters;

/// <summary>
/// Parses the filter language against a catalog's declared fields, naming the first thing wrong.
/// </summary>
/// <remarks>
/// <para>Grammar (JSON):</para>
/// <code>
/// filter    := { "and": [filter, …] } | { "or": [filter, …] } | { field: condition, … }   (several fields: all must hold)
/// condition := value                                 equality, e.g. {"brand":"acme"}
///            | { op: operand, … }                    several operators: all must hold
/// op        := "eq" value | "in" [value, …] | "lt" | "lte" | "gt" | "gte" number (number fields only)
/// </code>
/// <para>Example: <c>{"and":[{"price":{"lt":50}},{"brand":{"in":["acme","zen"]}}]}</c>. A value's JSON type must be
/// the field's declared type (<c>"50"</c> for a number field is an error, not a conversion).</para>
/// </remarks>
public static class MetadataFilterParser
{
    /// <summary>Deepest and/or nesting accepted.</summary>
    public const int MaxDepth = 8;

    /// <summary>Most comparisons and values in one filter, so a filter's cost per row stays small.</summary>
    public const int MaxTerms = 256;

    /// <summary>Parses <paramref name="json"/>; on failure the error is a sentence naming the field or operator.</summary>
    public static bool TryParse(string json, FieldSchema schema, out MetadataFilter? filter, out string? error)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 * MaxDepth + 8 });
            return TryParse(document.RootElement, schema, out filter, out error);
        }
        catch (JsonException exception)
        {
            (filter, error) = (null, $"The filter is not valid JSON: {exception.Message}");
            return false;
        }
    }

    /// <summary>Parses a filter held in a JSON element.</summary>
    public static bool TryParse(JsonElement element, FieldSchema schema, out MetadataFilter? filter, out string? error)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var terms = 0;
        try
        {
            filter = Parse(element, schema, 0, ref terms);
            error = null;
            return true;
        }
        catch (FilterException exception)
        {
            (filter, error) = (null, exception.Message);
            return false;
        }
    }

    private static MetadataFilter Parse(JsonElement element, FieldSchema schema, int depth, ref int terms)
    {
        if (depth > MaxDepth)
        {
            throw new FilterException($"The filter nests and/or deeper than {MaxDepth} levels.");
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FilterException($"A filter is a JSON object such as {{\"brand\":\"acme\"}}; got {Describe(element)}.");
        }

        var parts = new List<MetadataFilter>();
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name is "and" or "or")
            {
                if (property.Value.ValueKind != JsonValueKind.Array || property.Value.GetArrayLength() == 0)
                {
                    throw new FilterException($"'{property.Name}' takes a non-empty array of filters; got {Describe(property.Value)}.");
                }

                var children = new List<MetadataFilter>();
                foreach (var child in property.Value.EnumerateArray())
                {
                    children.Add(Parse(child, schema, depth + 1, ref terms));
                }

                parts.Add(new BooleanFilter(property.Name == "and", children));
            }
            else
            {
                parts.Add(ParseCondition(property.Name, property.Value, schema, ref terms));
            }
        }

        return parts.Count switch
        {
            0 => throw new FilterException("The filter is an empty object; name at least one field, or 'and'/'or'."),
            1 => parts[0],
            _ => new BooleanFilter(true, parts),
        };
    }

    private static MetadataFilter ParseCondition(string field, JsonElement condition, FieldSchema schema, ref int terms)
    {
        if (!schema.TryGet(field, out var ordinal, out var type))
        {
            throw new FilterException(schema.Count == 0
                ? $"Field '{field}' is not declared: this catalog declares no fields (PUT the catalog with \"fields\" to index some)."
                : $"Field '{field}' is not declared; this catalog declares {string.Join(", ", schema.Names.Select(name => $"'{name}'"))}.");
        }

        if (condition.ValueKind != JsonValueKind.Object)
        {
            Count(ref terms, 1);
            return new InFilter(field, ordinal, type, [Value(field, type, condition, "eq")]);
        }

        var parts = new List<MetadataFilter>();
        double? lower = null, upper = null;
        bool lowerInclusive = false, upperInclusive = false, ranged = false;
        foreach (var op in condition.EnumerateObject())
        {
            Count(ref terms, 1);
            switch (op.Name)
            {
                case "eq":
                    parts.Add(new InFilter(field, ordinal, type, [Value(field, type, op.Value, "eq")]));
                    break;
                case "in":
                    if (op.Value.ValueKind != JsonValueKind.Array || op.Value.GetArrayLength() == 0)
                    {
                        throw new FilterException($"Operator 'in' on field '{field}' takes a non-empty array; got {Describe(op.Value)}.");
                    }

                    Count(ref terms, op.Value.GetArrayLength());
                    parts.Add(new InFilter(field, ordinal, type, [.. op.Value.EnumerateArray().Select(value => Value(field, type, value, "in"))]));
                    break;
                case "lt" or "lte" or "gt" or "gte":
                    if (type != FieldType.Number)
                    {
                        throw new FilterException($"Operator '{op.Name}' needs a number field; field '{field}' is declared string.");
                    }

                    var bound = Value(field, type, op.Value, op.Name).Number;
                    ranged = true;
                    if (op.Name[0] == 'g' && (lower is null || bound > lower || (bound == lower && op.Name == "gt")))
                    {
                        (lower, lowerInclusive) = (bound, op.Name == "gte");
                    }
                    else if (op.Name[0] == 'l' && (upper is null || bound < upper || (bound == upper && op.Name == "lt")))
                    {
                        (upper, upperInclusive) = (bound, op.Name == "lte");
                    }

                    break;
                default:
                    throw new FilterException($"Unknown operator '{op.Name}' on field '{field}'; use eq, in, lt, lte, gt or gte.");
            }
        }

        if (ranged)
        {
            parts.Add(new RangeFilter(field, ordinal, lower, lowerInclusive, upper, upperInclusive));
        }

        return parts.Count switch
        {
            0 => throw new FilterException($"Field '{field}' has an empty condition; give a value or an operator such as {{\"eq\": …}}."),
            1 => parts[0],
            _ => new BooleanFilter(true, parts),
        };
    }

    private static FieldValue Value(string field, FieldType type, JsonElement value, string op)
    {
        if (type == FieldType.Number)
        {
            if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number))
            {
                return FieldValue.Of(number);
            }
        }
        else if (value.ValueKind == JsonValueKind.String)
        {
            return FieldValue.Of(value.GetString()!);
        }

        throw new FilterException(
            $"Field '{field}' is declared {FieldTypes.ToWireName(type)}; '{op}' got {Describe(value)}.");
    }

    private static void Count(ref int terms, int more)
    {
        terms += more;
        if (terms > MaxTerms)
        {
            throw new FilterException($"The filter has more than {MaxTerms} comparisons and values.");
        }
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => string.Create(CultureInfo.InvariantCulture, $"the string \"{Truncate(element.GetString()!)}\""),
        JsonValueKind.Number => $"the number {Truncate(element.GetRawText())}",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {element.GetRawText()}",
        JsonValueKind.Null => "null",
        _ => element.ValueKind.ToString(),
    };

    private static string Truncate(string text) => text.Length <= 40 ? text : $"{text[..40]}…";

    private sealed class FilterException(string message) : Exception(message);
}
