using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

public sealed class Int8DotTests
{
    public static TheoryData<string> Paths() => ["dispatch", "avx-vnni", "avx2", "vector128"];

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void Dot_EqualsPlainLoop_ForEveryLengthAroundTheSimdWidths(string path)
    {
        Skip.IfNot(IsSupported(path), $"This processor has no {path} path.");
        var random = new Random(31);

        foreach (var length in Enumerable.Range(0, 140).Append(512).Append(1000))
        {
            var a = RandomCodes(random, length);
            var b = RandomCodes(random, length);

            Assert.Equal(Int8Dot.DotScalar(a, b, 0), Run(path, a, b));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void Dot_DoesNotOverflow_WhenEveryProductIsExtreme(string path)
    {
        Skip.IfNot(IsSupported(path), $"This processor has no {path} path.");
        var plus = Enumerable.Repeat((sbyte)127, 4096).ToArray();
        var minus = Enumerable.Repeat((sbyte)-127, 4096).ToArray();

        Assert.Equal(4096 * 127 * 127, Run(path, plus, plus));
        Assert.Equal(4096 * 127 * 127, Run(path, minus, minus));
        Assert.Equal(-4096 * 127 * 127, Run(path, plus, minus));
    }

    [Fact]
    public void DotScalar_StartsAtTheGivenIndex()
    {
        Assert.Equal((3 * 4) + (-5 * 6), Int8Dot.DotScalar([1, 2, 3, -5], [9, 9, 4, 6], start: 2));
    }

    private static bool IsSupported(string path) => path switch
    {
        "dispatch" => true,
        "avx-vnni" => AvxVnni.IsSupported,
        "avx2" => Avx2.IsSupported,
        "vector128" => Vector128.IsHardwareAccelerated,
        _ => throw new ArgumentOutOfRangeException(nameof(path)),
    };

    private static int Run(string path, sbyte[] a, sbyte[] b) => path switch
    {
        "dispatch" => Int8Dot.Dot(a, b),
        "avx-vnni" => Int8Dot.DotAvxVnni(a, b),
        "avx2" => Int8Dot.DotAvx2(a, b),
        "vector128" => Int8Dot.DotVector128(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(path)),
    };

    private static sbyte[] RandomCodes(Random random, int length)
    {
        var codes = new sbyte[length];
        for (var i = 0; i < length; i++)
        {
            codes[i] = (sbyte)random.Next(-127, 128);
        }

        return codes;
    }
}
