namespace OutfitFinder.Core.Extraction.WhiteBox;

/// <summary>One feature's place in a <see cref="WhiteBoxEmbedder"/> vector.</summary>
/// <param name="Name">Feature name: <c>hog</c>, <c>colour-histogram</c>, <c>colour-coherence</c> or <c>harris</c>.</param>
/// <param name="Offset">Index of its first value.</param>
/// <param name="Length">Number of values.</param>
/// <param name="Weight">
/// The block's length in the vector before the final normalisation (each block is first scaled to unit
/// L2 length). Its share of the squared norm, and of a cosine similarity, is Weight² / Σ Weight².
/// </param>
public sealed record WhiteBoxBlock(string Name, int Offset, int Length, float Weight);
