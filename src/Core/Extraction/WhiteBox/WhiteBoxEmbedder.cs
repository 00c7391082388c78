using System.Numerics.Tensors;
using SkiaSharp;

namespace OutfitFinder.Core.Extraction.WhiteBox;

/// <summary>
/// The classic hand-crafted ("white-box") baseline of consumer-to-shop retrieval: shape (HOG),
/// colour (histogram and coherence vector) and corners (Harris), concatenated into one
/// <see cref="FeatureLength"/>-float vector. CPU only, no model file, deterministic.
/// </summary>
/// <remarks>
/// <para>Every image is first drawn on a 128×128 working square: scaled isotropically to cover it,
/// centre kept, transparent pixels over white (see <see cref="RgbImage.CoverSquare"/>). Then:</para>
/// <list type="table">
/// <listheader><term>offset, length</term><description>block</description></listheader>
/// <item><term>0, 1764</term><description><see cref="HogDescriptor"/> of the luma plane averaged 2×2 to
/// 64×64: 8×8-pixel cells, 7×7 blocks of 2×2 cells, 36 values each. At 128×128 it would be 8,100 values,
/// sixteen times the CNN's vector, for detail a silhouette does not need.</description></item>
/// <item><term>1764, 25</term><description><see cref="ColourBins"/> histogram at 128×128.</description></item>
/// <item><term>1789, 50</term><description><see cref="ColourCoherence"/> vector at 128×128 (τ = 164 pixels).</description></item>
/// <item><term>1839, 21</term><description><see cref="HarrisCorners"/> summary of the 128×128 luma plane.</description></item>
/// </list>
/// <para>Each block is normalised on its own terms (L2-Hys per HOG block; histogram and coherence
/// shares summing to 1; corner shares summing to 1), then scaled to unit L2 length times its
/// <see cref="WhiteBoxBlock.Weight"/>, and the whole vector is L2-normalised. Scaling to unit length
/// first is what stops HOG's 1,764 values from drowning the 25 of the colour histogram: the cosine of two
/// vectors is then the weighted mean of the four blocks' cosines, block b counting Weight_b² / Σ Weight².
/// A block that is all zero (a flat image has no gradients or corners) stays zero.</para>
/// <para>All the work happens in <see cref="Preprocess"/>, which writes the finished vector
/// (<see cref="InputLength"/> = <see cref="Dimension"/>); <see cref="Run"/> only copies and
/// normalises, so the batcher's parallel-preprocess, serial-run contract holds at no cost.</para>
/// </remarks>
public sealed class WhiteBoxEmbedder : IImageEmbedder
{
    /// <summary>Name catalogs use for this embedding space.</summary>
    public const string ModelName = "whitebox";

    /// <summary>Side of the square every image is drawn on before any feature is computed.</summary>
    public const int WorkingSize = 128;

    /// <summary>Side of the luma plane HOG reads: the working square averaged 2×2.</summary>
    public const int HogSize = WorkingSize / 2;

    /// <summary>Length of every vector: 1,764 + 25 + 50 + 21.</summary>
    public const int FeatureLength = 1860;

    // Indexes into Blocks, in vector order.
    private const int Hog = 0;
    private const int Histogram = 1;
    private const int Coherence = 2;
    private const int Corners = 3;

    private static readonly WhiteBoxBlock[] Blocks = BuildLayout(
        ("hog", HogDescriptor.Length(HogSize, HogSize), 1f),
        ("colour-histogram", ColourBins.Count, 1f),
        ("colour-coherence", ColourCoherence.Length, 1f),
        ("harris", HarrisCorners.Length, 0.5f));

    /// <summary>Where each feature lies in the vector and how much it weighs, in order.</summary>
    public static IReadOnlyList<WhiteBoxBlock> Layout => Blocks;

    /// <inheritdoc />
    public string Model => ModelName;

    /// <inheritdoc />
    public int Dimension => FeatureLength;

    /// <inheritdoc />
    public string ExecutionProvider => "CPU";

    /// <inheritdoc />
    /// <remarks>Equal to <see cref="Dimension"/>: the preprocessed input is the finished vector.</remarks>
    public int InputLength => FeatureLength;

    /// <inheritdoc />
    /// <remarks>Computes every feature; pure and safe to call from many threads at once.</remarks>
    public void Preprocess(SKBitmap image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (destination.Length != InputLength)
        {
            throw new ArgumentException($"Destination must hold {InputLength} floats, not {destination.Length}.", nameof(destination));
        }

        if (image.Width <= 0 || image.Height <= 0)
        {
            throw new ArgumentException("The image has no pixels.", nameof(image));
        }

        var working = RgbImage.CoverSquare(image, WorkingSize);
        var luma = working.Luma();
        HogDescriptor.Compute(HalveLuma(luma, WorkingSize), HogSize, HogSize, Slice(destination, Hog));
        ColourBins.Histogram(working, Slice(destination, Histogram));
        ColourCoherence.Compute(working, Slice(destination, Coherence));
        HarrisCorners.Compute(luma, WorkingSize, WorkingSize, Slice(destination, Corners));

        foreach (var block in Blocks)
        {
            var values = destination.Slice(block.Offset, block.Length);
            var norm = TensorPrimitives.Norm<float>(values);
            if (norm > 0)
            {
                TensorPrimitives.Multiply(values, block.Weight / norm, values);
            }
        }

        NormaliseRow(destination);
    }

    /// <inheritdoc />
    /// <remarks>The inputs already are the vectors; they are copied and (again) L2-normalised.</remarks>
    public float[] Run(ReadOnlyMemory<float> inputs)
    {
        if (inputs.IsEmpty || inputs.Length % InputLength != 0)
        {
            throw new ArgumentException($"Inputs must be a positive multiple of {InputLength} floats, not {inputs.Length}.", nameof(inputs));
        }

        var output = inputs.ToArray();
        for (var row = 0; row < output.Length; row += FeatureLength)
        {
            NormaliseRow(output.AsSpan(row, FeatureLength));
        }

        return output;
    }

    /// <inheritdoc />
    public float[] Embed(IReadOnlyList<SKBitmap> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var output = new float[images.Count * FeatureLength];
        for (var i = 0; i < images.Count; i++)
        {
            var row = output.AsSpan(i * FeatureLength, FeatureLength);
            Preprocess(images[i], row);

            // Run's second normalisation can move the last bit of a float; doing it here too keeps
            // Embed and the batcher's Preprocess + Run bit-identical.
            NormaliseRow(row);
        }

        return output;
    }

    /// <summary>Holds nothing to release.</summary>
    public void Dispose()
    {
    }

    private static Span<float> Slice(Span<float> vector, int block) => vector.Slice(Blocks[block].Offset, Blocks[block].Length);

    private static void NormaliseRow(Span<float> row)
    {
        var norm = TensorPrimitives.Norm<float>(row);
        if (norm > 0)
        {
            TensorPrimitives.Divide(row, norm, row);
        }
    }

    /// <summary>Averages each 2×2 square of a <paramref name="size"/>×<paramref name="size"/> plane.</summary>
    private static float[] HalveLuma(float[] luma, int size)
    {
        var half = size / 2;
        var halved = new float[half * half];
        for (var y = 0; y < half; y++)
        {
            var top = 2 * y * size;
            var bottom = top + size;
            for (var x = 0; x < half; x++)
            {
                halved[(y * half) + x] = (luma[top + (2 * x)] + luma[top + (2 * x) + 1] + luma[bottom + (2 * x)] + luma[bottom + (2 * x) + 1]) / 4;
            }
        }

        return halved;
    }

    private static WhiteBoxBlock[] BuildLayout(params (string Name, int Length, float Weight)[] blocks)
    {
        var layout = new WhiteBoxBlock[blocks.Length];
        var offset = 0;
        for (var i = 0; i < blocks.Length; i++)
        {
            layout[i] = new WhiteBoxBlock(blocks[i].Name, offset, blocks[i].Length, blocks[i].Weight);
            offset += blocks[i].Length;
        }

        if (offset != FeatureLength)
        {
            throw new InvalidOperationException($"The white-box blocks add up to {offset} values, not {FeatureLength}.");
        }

        return layout;
    }
}
