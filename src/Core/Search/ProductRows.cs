using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.InteropServices;

namespace OutfitFinder.Core.Search;

/// <summary>
/// The product bookkeeping every index kind shares: which slot holds a product (by ordinal id), its interned
/// category, optionally its metadata, and its rows (one per image, by image index), and for every row the slot and
/// image index of its owner. The index keeps the rows' vectors (floats, codes, links) in its own arrays, indexed by the
/// same row numbers.
/// </summary>
/// <remarks>
/// <para>
/// Invariants. Live products fill slots <c>[0, ProductCount)</c>. For every row r of a live product,
/// <c>RowsOf(RowProduct[r])[RowImage[r]] == r</c>. Categories are interned: products of one category share
/// one string instance, so scans compare categories by reference (an unknown category means no product matches).
/// </para>
/// <para>
/// Layout. Everything is held in arrays indexed by slot or row, with no object per product: a million products
/// would otherwise cost a million entry objects, row arrays and dictionary entries in every index (about 130 bytes
/// per product per index, beside the ids themselves). A slot holds its id (the one string instance the caller gave,
/// shared with whoever else holds it), its category, the row of its first image, and only for a product of several
/// images an array of all its rows. Ids are found through an open-addressing table of slot numbers
/// (<see cref="SlotTable"/>, 4 bytes per bucket, at most half full) rather than a <c>Dictionary&lt;string,int&gt;</c>,
/// whose entries take 24 bytes each besides their buckets. Example, 250,000 single-image products: about 38 bytes
/// each (8 id reference, 8 category reference, 4 first row, 8 row owner and image, 8 in the table, at the arrays'
/// doubled capacity), against about 130 in entry objects and a dictionary.
/// </para>
/// <para>
/// Two ways to drop a product's rows, fixed at construction. <b>Dense</b> (flat, int8): the last row moves into each
/// hole, so rows <c>[0, RowCount)</c> are exactly the live ones and a scan reads one contiguous block; the index moves
/// its own per-row data in the callback. <b>Tombstoning</b> (HNSW): rows never move, because a graph links them by
/// number; a dropped row keeps its place with owner <see cref="NoOwner"/>, and the index keeps its own tombstone marks.
/// Either way, removing a product moves the last product into its slot.
/// </para>
/// <para>
/// Not thread-safe for writes, like the indexes. Hot loops read <see cref="Ids"/>, <see cref="Categories"/>,
/// <see cref="RowProduct"/> and <see cref="RowImage"/> directly (hoisted into locals): the arrays are only replaced by
/// a write, which never overlaps a search.
/// </para>
/// </remarks>
internal sealed class ProductRows
{
    /// <summary>The owner of a row that belongs to no live product (a tombstone).</summary>
    public const int NoOwner = -1;

    private const int InitialCapacity = 16;

    // One instance per distinct category. It only grows: a catalog has a handful of categories.
    private readonly HashSet<string> _categories = new(StringComparer.Ordinal);

    // Null for tombstoning; else moves one row's own data of the index (from, to).
    private readonly Action<int, int>? _moveRow;

    private SlotTable _slots = new();

    // Slot → row of image 0; slot → all rows, only for products of several images (null until the first such product).
    private int[] _firstRow = [];
    private int[]?[]? _manyRows;

    // Slot → metadata the owner keeps with the product (a shard's JSON); null until the first product that has some.
    private string?[]? _metadata;

    private long _idChars;
    private long _extraRows;

    /// <param name="moveRow">
    /// For a dense index, moves the index's own data of row <c>from</c> to row <c>to</c> (the last row into a hole);
    /// null for an index that tombstones rows instead.
    /// </param>
    public ProductRows(Action<int, int>? moveRow)
    {
        _moveRow = moveRow;
    }

    /// <summary>Slot → product id; slots <c>[0, ProductCount)</c> are live, the rest null.</summary>
    public string[] Ids { get; private set; } = [];

    /// <summary>Slot → interned category, or null for none.</summary>
    public string?[] Categories { get; private set; } = [];

    /// <summary>Number of live products.</summary>
    public int ProductCount { get; private set; }

    /// <summary>Row → slot of the product that owns it; <see cref="NoOwner"/> for a tombstone.</summary>
    public int[] RowProduct { get; private set; } = [];

    /// <summary>Row → which image of its owner it is.</summary>
    public int[] RowImage { get; private set; } = [];

    /// <summary>Rows in use: for a dense index exactly the live ones; for a tombstoning one, tombstones too.</summary>
    public int RowCount { get; private set; }

    /// <summary>Rows of live products.</summary>
    public int LiveRowCount { get; private set; }

    /// <summary>Rows the owner tables have room for.</summary>
    public int RowCapacity => RowProduct.Length;

    /// <summary>Bumped by every write, so that enumerating <see cref="Enumerate"/> during a write fails loudly.</summary>
    public int Version { get; private set; }

    /// <summary>
    /// Estimated managed bytes of the bookkeeping, from array lengths: the owner tables, the slot arrays and table,
    /// the row arrays of products of several images, and the ids' characters (strings may be shared with the caller;
    /// they are counted here once per bookkeeping). Categories (a handful) and metadata strings are not counted.
    /// </summary>
    public long MemoryBytes =>
        (2L * sizeof(int) * RowProduct.Length) + ((2L * IntPtr.Size + sizeof(int)) * Ids.Length)
        + ((long)IntPtr.Size * ((_manyRows?.Length ?? 0) + (_metadata?.Length ?? 0))) + _slots.Bytes
        + ((long)sizeof(int) * _extraRows) + (22L * ProductCount) + (sizeof(char) * _idChars);

    /// <summary>Whether a live product with this id (ordinal) is held.</summary>
    public bool Contains(string productId) => TryGetSlot(productId, out _);

    /// <summary>The slot of a live product.</summary>
    public bool TryGetSlot(string productId, out int slot)
    {
        slot = _slots.Find(productId, Ids);
        return slot >= 0;
    }

    /// <summary>The rows of the product in <paramref name="slot"/>, by image index.</summary>
    public ReadOnlySpan<int> RowsOf(int slot) => _manyRows?[slot] is { } many
        ? many
        : MemoryMarshal.CreateReadOnlySpan(ref _firstRow[slot], 1);

    /// <summary>How many images (rows) the product in <paramref name="slot"/> has.</summary>
    public int ImageCountOf(int slot) => _manyRows?[slot]?.Length ?? 1;

    /// <summary>The metadata kept with the product in <paramref name="slot"/> (<see cref="SetMetadata"/>), or null.</summary>
    public string? MetadataOf(int slot) => _metadata?[slot];

    /// <summary>Keeps <paramref name="metadata"/> with the product in <paramref name="slot"/> until it is replaced or removed.</summary>
    public void SetMetadata(int slot, string? metadata)
    {
        if (metadata is null && _metadata is null)
        {
            return;
        }

        _metadata ??= new string?[Ids.Length];
        _metadata[slot] = metadata;
    }

    /// <summary>The shared instance of a category some product has had; false when none ever had it.</summary>
    public bool TryGetCategory(string category, [NotNullWhen(true)] out string? shared) =>
        _categories.TryGetValue(category, out shared);

    /// <summary>The shared instance of <paramref name="category"/>, adding it when it is new.</summary>
    public string? Intern(string? category) => Search.Categories.Intern(_categories, category);

    /// <summary>
    /// Grows the owner tables so that <paramref name="required"/> rows fit, doubling, and has the index grow its own
    /// per-row arrays to the same capacity through <paramref name="growIndexRows"/>.
    /// </summary>
    /// <remarks>
    /// The owner tables are replaced last, after the index's arrays have grown: the capacity they report is what
    /// every array can hold. If an allocation fails (out of memory under a heap limit), the capacity stays the old
    /// one, so the next write grows again instead of writing past the end of an array that never grew. An index
    /// array that did grow before the failure is merely larger than needed.
    /// </remarks>
    /// <param name="required">Rows that must fit.</param>
    /// <param name="rowLength">The longest per-row run the index keeps in one array (its dimension, or a link list's
    /// length): rows × this must stay within one array.</param>
    /// <param name="dimension">For the error message.</param>
    /// <param name="growIndexRows">Grows the index's per-row arrays to the capacity it is given, keeping the rows held.</param>
    /// <returns>False, and nothing changed, when the rows already fit.</returns>
    /// <exception cref="InvalidOperationException">More rows than one array can hold.</exception>
    public bool TryGrowRows(long required, int rowLength, int dimension, Action<int> growIndexRows)
    {
        ArgumentNullException.ThrowIfNull(growIndexRows);
        var capacity = RowProduct.Length;
        if (required <= capacity)
        {
            return false;
        }

        var maxRows = Array.MaxLength / rowLength;
        if (required > maxRows)
        {
            throw new InvalidOperationException(
                $"The index cannot hold more than {maxRows} vectors of dimension {dimension}; split it into more shards.");
        }

        capacity = (int)Math.Min(maxRows, Math.Max(required, Math.Max(InitialCapacity, 2L * RowProduct.Length)));
        var rowProduct = RowProduct;
        var rowImage = RowImage;
        Array.Resize(ref rowProduct, capacity);
        Array.Resize(ref rowImage, capacity);
        growIndexRows(capacity);
        (RowProduct, RowImage) = (rowProduct, rowImage);
        return true;
    }

    /// <summary>
    /// Starts adding or replacing a product of <paramref name="imageCount"/> images: a product already held keeps its
    /// slot and loses its rows (dense: moved out; tombstoning: left ownerless for the index to tombstone). The caller
    /// then gives it its rows with <see cref="AppendRow"/>, image by image, before anything else reads the index.
    /// Row capacity must already be there; nothing here fails after the first change. Metadata kept with the product
    /// is cleared.
    /// </summary>
    /// <param name="productId">The product's id (ordinal).</param>
    /// <param name="category">Its category, interned here; null for none.</param>
    /// <param name="imageCount">How many images (rows) it will have; at least 1.</param>
    /// <param name="replaced">The product's previous rows and category; null if it is new.</param>
    /// <returns>The product's slot.</returns>
    public int Place(string productId, string? category, int imageCount, out DroppedProduct? replaced)
    {
        var slot = _slots.Find(productId, Ids);
        var known = slot >= 0;
        if (!known)
        {
            EnsureSlotCapacity(ProductCount + 1);
            _slots.EnsureCapacity(ProductCount + 1, Ids, ProductCount);
        }

        // Allocated before anything changes, so that an allocation failure leaves the product as it was.
        var manyRows = imageCount > 1 ? new int[imageCount] : null;
        if (manyRows is not null)
        {
            _manyRows ??= new int[]?[Ids.Length];
        }

        category = Intern(category);
        if (known)
        {
            replaced = DropRows(slot);
        }
        else
        {
            replaced = null;
            slot = ProductCount++;
            Ids[slot] = productId;
            _slots.Add(productId, slot);
            _idChars += productId.Length;
        }

        Categories[slot] = category;
        if (_metadata is not null)
        {
            _metadata[slot] = null;
        }

        if (manyRows is not null)
        {
            _manyRows![slot] = manyRows;
            _extraRows += imageCount;
        }

        Version++;
        return slot;
    }

    /// <summary>Gives image <paramref name="image"/> of the product in <paramref name="slot"/> the next free row.</summary>
    /// <returns>The row, where the index writes the image's vector.</returns>
    public int AppendRow(int slot, int image)
    {
        var row = RowCount++;
        Claim(slot, image, row);
        return row;
    }

    /// <summary>Removes a product, moving the last product into its slot.</summary>
    /// <param name="productId">The product's id (ordinal).</param>
    /// <param name="removed">Its rows (already dropped) and category.</param>
    /// <returns>False if it was not held.</returns>
    public bool Remove(string productId, [NotNullWhen(true)] out DroppedProduct? removed)
    {
        var slot = _slots.Find(productId, Ids);
        if (slot < 0)
        {
            removed = null;
            return false;
        }

        removed = DropRows(slot);
        _slots.Remove(productId, slot, Ids);
        _idChars -= productId.Length;

        var last = ProductCount - 1;
        if (slot != last)
        {
            var moved = Ids[last];
            Ids[slot] = moved;
            Categories[slot] = Categories[last];
            _firstRow[slot] = _firstRow[last];
            if (_manyRows is not null)
            {
                _manyRows[slot] = _manyRows[last];
            }

            if (_metadata is not null)
            {
                _metadata[slot] = _metadata[last];
            }

            _slots.Replace(moved, last, slot);
            foreach (var row in RowsOf(slot))
            {
                RowProduct[row] = slot;
            }
        }

        Ids[last] = null!;
        Categories[last] = null;
        if (_manyRows is not null)
        {
            _manyRows[last] = null;
        }

        if (_metadata is not null)
        {
            _metadata[last] = null;
        }

        ProductCount--;
        Version++;
        return true;
    }

    /// <summary>
    /// For a tombstoning index being loaded: <paramref name="count"/> more rows, owned by nobody until products claim
    /// them with <see cref="Claim"/>. Row capacity must already be there.
    /// </summary>
    public void AddOwnerlessRows(int count)
    {
        RowProduct.AsSpan(RowCount, count).Fill(NoOwner);
        RowCount += count;
    }

    /// <summary>Makes <paramref name="row"/> image <paramref name="image"/> of the product in <paramref name="slot"/>.</summary>
    public void Claim(int slot, int image, int row)
    {
        RowProduct[row] = slot;
        RowImage[row] = image;
        SetRow(slot, image, row);
        LiveRowCount++;
    }

    /// <summary>Every live product, in slot order. Fails if the index is written to meanwhile.</summary>
    public IEnumerable<IndexedProduct> Enumerate()
    {
        var version = Version;
        for (var slot = 0; slot < ProductCount; slot++)
        {
            if (version != Version)
            {
                throw new InvalidOperationException("The index was modified while its products were enumerated.");
            }

            yield return new IndexedProduct(Ids[slot], Categories[slot], ImageCountOf(slot));
        }
    }

    /// <summary>
    /// Makes <paramref name="target"/>, a new and empty bookkeeping of the same kind, a copy of this one: same slots,
    /// rows, categories (the same string instances) and metadata. Its index grows its own arrays first
    /// (<see cref="TryGrowRows"/>) and copies its own row data.
    /// </summary>
    public void CopyTo(ProductRows target)
    {
        if (target.ProductCount != 0 || target.RowCount != 0 || target.RowCapacity < RowCount)
        {
            throw new InvalidOperationException("Copy into an empty bookkeeping with room for every row.");
        }

        RowProduct.AsSpan(0, RowCount).CopyTo(target.RowProduct);
        RowImage.AsSpan(0, RowCount).CopyTo(target.RowImage);
        target.RowCount = RowCount;
        target.LiveRowCount = LiveRowCount;
        target._categories.UnionWith(_categories);
        var capacity = Math.Max(ProductCount, InitialCapacity);
        target.Ids = new string[capacity];
        target.Categories = new string?[capacity];
        target._firstRow = new int[capacity];
        Ids.AsSpan(0, ProductCount).CopyTo(target.Ids);
        Categories.AsSpan(0, ProductCount).CopyTo(target.Categories);
        _firstRow.AsSpan(0, ProductCount).CopyTo(target._firstRow);
        if (_manyRows is not null)
        {
            target._manyRows = new int[]?[capacity];
            for (var slot = 0; slot < ProductCount; slot++)
            {
                target._manyRows[slot] = (int[]?)_manyRows[slot]?.Clone();
            }
        }

        if (_metadata is not null)
        {
            target._metadata = new string?[capacity];
            _metadata.AsSpan(0, ProductCount).CopyTo(target._metadata);
        }

        target._slots = _slots.Clone();
        target.ProductCount = ProductCount;
        target._idChars = _idChars;
        target._extraRows = _extraRows;
    }

    private void SetRow(int slot, int image, int row)
    {
        if (image == 0)
        {
            _firstRow[slot] = row;
        }

        if (_manyRows?[slot] is { } many)
        {
            many[image] = row;
        }
    }

    private void EnsureSlotCapacity(int required)
    {
        if (required <= Ids.Length)
        {
            return;
        }

        var capacity = Math.Max(InitialCapacity, 2 * Ids.Length);
        var ids = Ids;
        var categories = Categories;
        Array.Resize(ref ids, capacity);
        Array.Resize(ref categories, capacity);
        Array.Resize(ref _firstRow, capacity);
        if (_manyRows is not null)
        {
            Array.Resize(ref _manyRows, capacity);
        }

        if (_metadata is not null)
        {
            Array.Resize(ref _metadata, capacity);
        }

        (Ids, Categories) = (ids, categories);
    }

    /// <summary>
    /// Drops the rows of the product in <paramref name="slot"/> and forgets its row list (a new one is set by
    /// <see cref="Place"/>). Dense: moves the current last row into each hole. The moved row may belong to this very
    /// product; its entry is updated before that image is reached, which is why the loop reads its row afresh each
    /// time. Example: rows [p0 p1 q0 p2] (p's images 0..2 at rows 0, 1, 3). Remove image 0 → p2 moves to row 0:
    /// [p2 p1 q0]; image 1 → q0 moves to row 1: [p2 q0]; image 2 now lives at row 0 → q0 moves there: [q0].
    /// </summary>
    /// <returns>The product's rows as they were before the drop (meaningful for tombstoning) and its category.</returns>
    private DroppedProduct DropRows(int slot)
    {
        var rows = RowsOf(slot).ToArray();
        var category = Categories[slot];
        LiveRowCount -= rows.Length;
        if (_moveRow is null)
        {
            foreach (var row in rows)
            {
                RowProduct[row] = NoOwner;
            }
        }
        else
        {
            for (var image = 0; image < rows.Length; image++)
            {
                var row = RowsOf(slot)[image];
                var last = --RowCount;
                if (row == last)
                {
                    continue;
                }

                _moveRow(last, row);
                var owner = RowProduct[last];
                var ownerImage = RowImage[last];
                RowProduct[row] = owner;
                RowImage[row] = ownerImage;
                SetRow(owner, ownerImage, row);
            }
        }

        if (_manyRows?[slot] is { } many)
        {
            _extraRows -= many.Length;
            _manyRows[slot] = null;
        }

        return new DroppedProduct(category, rows);
    }

    /// <summary>
    /// Product id → slot as an open-addressing table of slot numbers with linear probing, the ids themselves read from
    /// the slot array: 4 bytes per bucket, kept at most half full, instead of a dictionary entry (24 bytes) per product.
    /// Written by hand because no .NET collection keys a table by strings held in another array. Removal shifts the
    /// following entries of the run back (no tombstones), so a lookup stops at the first empty bucket.
    /// </summary>
    private sealed class SlotTable
    {
        // Slot + 1 per bucket; 0 is empty. The length is a power of two (or zero).
        private int[] _buckets = [];

        public long Bytes => sizeof(int) * (long)_buckets.Length;

        public int Find(string productId, string[] ids)
        {
            var buckets = _buckets;
            if (buckets.Length == 0)
            {
                return -1;
            }

            var mask = buckets.Length - 1;
            for (var at = Home(productId, mask); ; at = (at + 1) & mask)
            {
                var entry = buckets[at];
                if (entry == 0)
                {
                    return -1;
                }

                if (string.Equals(ids[entry - 1], productId, StringComparison.Ordinal))
                {
                    return entry - 1;
                }
            }
        }

        /// <summary>Adds an id known to be absent. <see cref="EnsureCapacity"/> must have made room.</summary>
        public void Add(string productId, int slot)
        {
            var mask = _buckets.Length - 1;
            var at = Home(productId, mask);
            while (_buckets[at] != 0)
            {
                at = (at + 1) & mask;
            }

            _buckets[at] = slot + 1;
        }

        /// <summary>Points the bucket of <paramref name="productId"/> from slot <paramref name="from"/> to <paramref name="to"/>.</summary>
        public void Replace(string productId, int from, int to)
        {
            var mask = _buckets.Length - 1;
            var at = Home(productId, mask);
            while (_buckets[at] != from + 1)
            {
                at = (at + 1) & mask;
            }

            _buckets[at] = to + 1;
        }

        /// <summary>Removes the bucket of a held id, shifting later entries of its run back into the hole.</summary>
        public void Remove(string productId, int slot, string[] ids)
        {
            var buckets = _buckets;
            var mask = buckets.Length - 1;
            var hole = Home(productId, mask);
            while (buckets[hole] != slot + 1)
            {
                hole = (hole + 1) & mask;
            }

            buckets[hole] = 0;
            for (var at = (hole + 1) & mask; buckets[at] != 0; at = (at + 1) & mask)
            {
                // An entry may move back into the hole only if its home is not cyclically within (hole, at]:
                // otherwise a lookup starting at its home would meet the hole first and stop.
                var home = Home(ids[buckets[at] - 1], mask);
                var reachable = hole <= at ? home > hole && home <= at : home > hole || home <= at;
                if (!reachable)
                {
                    buckets[hole] = buckets[at];
                    buckets[at] = 0;
                    hole = at;
                }
            }
        }

        /// <summary>
        /// Makes room for <paramref name="count"/> entries at most half full; a larger table is filled again from the
        /// <paramref name="live"/> slots of <paramref name="ids"/>. Allocates before it changes anything.
        /// </summary>
        public void EnsureCapacity(int count, string[] ids, int live)
        {
            if (2L * count <= _buckets.Length)
            {
                return;
            }

            _buckets = new int[(int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(32, 2 * count))];
            for (var slot = 0; slot < live; slot++)
            {
                Add(ids[slot], slot);
            }
        }

        public SlotTable Clone() => new() { _buckets = (int[])_buckets.Clone() };

        // string.GetHashCode is randomised per process (Marvin), so crafted ids cannot pile up in one run of buckets.
        private static int Home(string productId, int mask) => productId.GetHashCode() & mask;
    }
}

/// <summary>What a product held before it was replaced or removed: its category and its rows, by image index.</summary>
internal sealed record DroppedProduct(string? Category, int[] Rows);
