using SkiaSharp;

namespace OutfitFinder.Core.Extraction.Siamese;

/// <summary>
/// A base embedder followed by a learned <see cref="ProjectionHead"/>: the embedder of a
/// <c>base+head</c> model. Catalog shards store its projected vectors, so search stays a plain scan.
/// Owns and disposes the base embedder.
/// </summary>
public sealed class ProjectedEmbedder : IImageEmbedder
{
    private readonly IImageEmbedder _baseEmbedder;
    private readonly ProjectionHead _head;

    /// <param name="baseEmbedder">Makes the vectors the head takes; must be the head's base model and dimension.</param>
    /// <param name="head">The learned projection.</param>
    /// <param name="headName">Name of the head, as in <c>resnet18+HEAD</c>.</param>
    /// <param name="model">The model name it serves; default <c>base+head</c>. Built-in heads have names of their own.</param>
    public ProjectedEmbedder(IImageEmbedder baseEmbedder, ProjectionHead head, string headName, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(baseEmbedder);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentException.ThrowIfNullOrWhiteSpace(headName);
        if (!string.Equals(head.BaseModel, baseEmbedder.Model, StringComparison.Ordinal) || head.InputDimension != baseEmbedder.Dimension)
        {
            throw new ArgumentException(
                $"Head '{headName}' takes {head.InputDimension}-value vectors of '{head.BaseModel}', "
                + $"not {baseEmbedder.Dimension}-value vectors of '{baseEmbedder.Model}'.", nameof(head));
        }

        this._baseEmbedder = baseEmbedder;
        this._head = head;
        Model = model ?? HeadModelName.Compose(baseEmbedder.Model, headName);
    }

    /// <inheritdoc />
    public string Model { get; }

    /// <inheritdoc />
    public int Dimension => _head.OutputDimension;

    /// <inheritdoc />
    public string ExecutionProvider => _baseEmbedder.ExecutionProvider;

    /// <inheritdoc />
    public int InputLength => _baseEmbedder.InputLength;

    /// <inheritdoc />
    public void Preprocess(SKBitmap image, Span<float> destination) => _baseEmbedder.Preprocess(image, destination);

    /// <inheritdoc />
    public float[] Run(ReadOnlyMemory<float> inputs) => _head.ProjectRows(_baseEmbedder.Run(inputs));

    /// <inheritdoc />
    public float[] Embed(IReadOnlyList<SKBitmap> images) => _head.ProjectRows(_baseEmbedder.Embed(images));

    public void Dispose() => _baseEmbedder.Dispose();
}

/// <summary>Model names of the form <c>base+head</c>: a base model followed by a learned head.</summary>
public static class HeadModelName
{
    /// <summary>Separates the base model from the head in a model name.</summary>
    public const char Separator = '+';

    public static string Compose(string baseModel, string head) => $"{baseModel}{Separator}{head}";

    /// <summary>Splits <c>base+head</c> at the last <c>+</c>; false for a name without one or with an empty part.</summary>
    public static bool TryParse(string model, out string baseModel, out string head)
    {
        var at = model.LastIndexOf(Separator);
        baseModel = at > 0 ? model[..at] : string.Empty;
        head = at > 0 ? model[(at + 1)..] : string.Empty;
        return at > 0 && head.Length > 0;
    }

    /// <summary>
    /// Whether <paramref name="head"/> can name a head file: letters, digits, <c>-</c>, <c>_</c> and
    /// <c>.</c> (not first), at most 64 characters. Keeps a model name from reaching outside the heads folder.
    /// </summary>
    public static bool IsValidHeadName(string head) =>
        head.Length is >= 1 and <= 64
        && head[0] != '.'
        && head.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
