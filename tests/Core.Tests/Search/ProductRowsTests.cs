using OutfitFinder.Core.Search;

namespace OutfitFinder.Core.Tests.Search;

/// <summary>
/// The shared bookkeeping keeps its invariant through any mix of writes: every live row's owner lists it under its
/// image index; dense rows stay packed (and every move is reported), tombstoned rows stay put and lose their owner.
/// </summary>
public sealed class ProductRowsTests
{
    [Fact]
    public void TryGrowRows_KeepsTheOldCapacity_WhenTheIndexCannotGrowItsArrays()
    {
        var rows = new ProductRows(moveRow: null);
        rows.TryGrowRows(4, rowLength: 8, dimension: 8, _ => { });
        var before = rows.RowCapacity;

        // Out of memory under a heap limit: the index's own allocation fails.
        Assert.Throws<OutOfMemoryException>(() => rows.TryGrowRows(before + 1, rowLength: 8, dimension: 8, _ => throw new OutOfMemoryException()));

        // The capacity still matches what the index's arrays hold, so the next write grows again rather than writing past them.
        Assert.Equal(before, rows.RowCapacity);
        var grownTo = 0;
        Assert.True(rows.TryGrowRows(before + 1, rowLength: 8, dimension: 8, capacity => grownTo = capacity));
        Assert.Equal(grownTo, rows.RowCapacity);
        Assert.True(grownTo > before);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Writes_KeepEveryRowListedByItsOwner_AfterManyRandomWrites(bool dense)
    {
        var random = new Random(dense ? 1 : 2);

        // A stand-in for the index's own row data: which (product, image) each row holds, moved with the row.
        var held = new List<(string Id, int Image)>();
        var rows = new ProductRows(dense ? (from, to) => held[to] = held[from] : null);
        var live = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var write = 0; write < 20_000; write++)
        {
            var id = $"p{random.Next(dense ? 200 : 2_000)}";
            if (random.Next(4) == 0)
            {
                Assert.Equal(live.Remove(id), rows.Remove(id, out _));
            }
            else
            {
                var images = random.Next(1, 4);
                rows.TryGrowRows((long)rows.RowCount + images, rowLength: 1, dimension: 1, _ => { });
                var slot = rows.Place(id, random.Next(2) == 0 ? "tops" : null, images, out _);
                for (var image = 0; image < images; image++)
                {
                    var row = rows.AppendRow(slot, image);
                    if (row == held.Count)
                    {
                        held.Add((id, image));
                    }
                    else
                    {
                        held[row] = (id, image);
                    }
                }

                live[id] = images;
            }

            if (dense)
            {
                held.RemoveRange(rows.RowCount, held.Count - rows.RowCount);
            }
        }

        Assert.Equal(live.Count, rows.ProductCount);
        Assert.Equal(live.Values.Sum(), rows.LiveRowCount);
        Assert.Equal(dense ? rows.LiveRowCount : held.Count, rows.RowCount);
        var seen = 0;
        for (var slot = 0; slot < rows.ProductCount; slot++)
        {
            var id = rows.Ids[slot];
            Assert.True(rows.TryGetSlot(id, out var found));
            Assert.Equal(slot, found);
            Assert.Equal(live[id], rows.ImageCountOf(slot));
            for (var image = 0; image < rows.ImageCountOf(slot); image++)
            {
                var row = rows.RowsOf(slot)[image];
                Assert.Equal((slot, image), (rows.RowProduct[row], rows.RowImage[row]));
                Assert.Equal((id, image), held[row]);
                seen++;
            }
        }

        Assert.Equal(rows.LiveRowCount, seen);
        Assert.All(Enumerable.Range(0, 2_000).Select(i => $"p{i}").Where(id => !live.ContainsKey(id)), id => Assert.False(rows.Contains(id)));
        Assert.Equal(rows.RowCount - seen, Enumerable.Range(0, rows.RowCount).Count(row => rows.RowProduct[row] == ProductRows.NoOwner));
    }

    [Fact]
    public void Place_InternsCategories_SoProductsShareOneInstance()
    {
        var rows = new ProductRows(moveRow: null);
        rows.TryGrowRows(2, 1, 1, _ => { });

        rows.Place("a", new string(['t', 'o', 'p', 's']), 1, out _);
        rows.Place("b", new string(['t', 'o', 'p', 's']), 1, out _);

        Assert.Same(rows.Categories[0], rows.Categories[1]);
        Assert.True(rows.TryGetCategory("tops", out var shared));
        Assert.Same(rows.Categories[0], shared);
        Assert.False(rows.TryGetCategory("Tops", out _));
    }

    [Fact]
    public void Enumerate_Throws_WhenWrittenMeanwhile()
    {
        var rows = new ProductRows(moveRow: null);
        rows.TryGrowRows(3, 1, 1, _ => { });
        rows.AppendRow(rows.Place("a", null, 1, out _), 0);
        rows.AppendRow(rows.Place("b", null, 1, out _), 0);

        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var product in rows.Enumerate())
            {
                rows.AppendRow(rows.Place("c", null, 1, out _), 0);
            }
        });
    }
}
