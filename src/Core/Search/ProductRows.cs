using System.Diagnostics.CodeAnalysis;

namespace OutfitFinder.Core.Search;

/// <summary>
/// The product bookkeeping every index kind shares: which slot holds a product (by ordinal id), its interned
/// category and its rows (one per image, by image index), and for every row the slot and image index of its owner.
/// The index keeps the rows' vectors (floats, codes, links) in its own arrays, indexed by the same row numbers.
/// </summary>
/// <remarks>
/// <para>
/// Invariants. Live products fill slots <c>[0, ProductCount)</c>. For every row r of a live product,
/// <c>Products[RowProduct[r]].Rows[RowImage[r]] == r</c>. Categories are interned: products of one category share
/// one string instance, so scans compare categories by reference (an unknown category means no product matches).
/// </para>
/// <para>
/// Two ways to drop a product's rows, fixed at construction. <b>Dense</b> (flat, int8): the last row moves into each
/// hole, so rows <c>[0, RowCount)</c> are exactly the live ones and a scan reads one contiguous block; the index moves
/// its own per-row data in the callback. <b>Tombstoning</b> (HNSW): rows never move, because a graph links them by
/// number; a dropped row keeps its place with owner <see cref="NoOwner"/>, and the index keeps its own tombstone marks.
/// Either way, removing a product moves the last product into its slot.
/// </para>
/// <para>
/// Not thread-safe for writes, like the indexes. Hot loops read <see cref="Products"/>, <see cref="RowProduct"/> and
/// <see cref="RowImage"/> directly (hoisted into locals): the arrays are only replaced by a write, which never
/// overlaps a search.
/// </para>
/// </remarks>
internal sealed class ProductRows
{
    /// <summary>The owner of a row that belongs to no live product (a tombstone).</summary>
    public const int NoOwner = -1;

    private const int InitialCapacity = 16;

    // Estimate of the managed bytes of one product besides its row numbers and id characters: the entry object
    // (header and three fields, 40), its rows array's header (24), the id string's header and terminator (22), and
    // a dictionary entry with its bucket (28).
    private const int ProductOverheadBytes = 40 + 24 + 22 + 28;

    private readonly Dictionary<string, int> _slotById = new(StringComparer.Ordinal);

    // One instance per distinct category. It only grows: a catalog has a handful of categories.
    private readonly HashSet<string> _categories = new(StringComparer.Ordinal);

    // Null for tombstoning; else moves one row's own data of the index (from, to).
    private readonly Action<int, int>? _moveRow;

    private long _idChars;

    /// <param name="moveRow">
    /// For a dense index, moves the index's own data of row <c>from</c> to row <c>to</c> (the last row into a hole);
    /// null for an index that tombstones rows instead.
    /// </param>
    public ProductRows(Action<int, int>? moveRow)
    {
        _moveRow = moveRow;
    }

    /// <summary>Slot → product; slots <c>[0, ProductCount)</c> are live, the rest null.</summary>
    public Product[] Products { get; private set; } = [];

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
    /// Estimated managed bytes of the bookkeeping, from array lengths and per-product constants: the owner tables, the
    /// slot array, and each product's entry, rows, id and dictionary entry. Categories (a handful) are not counted.
    /// </summary>
    public long MemoryBytes =>
        (2L * sizeof(int) * RowProduct.Length) + ((long)IntPtr.Size * Products.Length) +
        ((long)ProductOverheadBytes * ProductCount) + ((long)sizeof(int) * LiveRowCount) + (sizeof(char) * _idChars);

    /// <summary>Whether a live product with this id (ordinal) is held.</summary>
    public bool Contains(string productId) => _slotById.ContainsKey(productId);

    /// <summary>The slot of a live product.</summary>
    public bool TryGetSlot(string productId, out int slot) => _slotById.TryGetValue(productId, out slot);

    /// <summary>The shared instance of a category some product has had; false when none ever had it.</summary>
    public bool TryGetCategory(string category, [NotNullWhen(true)] out string? shared) =>
        _categories.TryGetValue(category, out shared);

    /// <summary>The shared instance of <paramref name="category"/>, adding it when it is new.</summary>
    public string? Intern(string? category) => Categories.Intern(_categories, category);

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
    /// Row capacity must already be there; nothing here fails after the first change.
    /// </summary>
    /// <param name="productId">The product's id (ordinal).</param>
    /// <param name="category">Its category, interned here; null for none.</param>
    /// <param name="imageCount">How many images (rows) it will have; at least 1.</param>
    /// <param name="replaced">The product's previous entry, with its old rows and category; null if it is new.</param>
    /// <returns>The product's slot.</returns>
    public int Place(string productId, string? category, int imageCount, out Product? replaced)
    {
        var known = _slotById.TryGetValue(productId, out var slot);
        if (!known && ProductCount == Products.Length)
        {
            var products = Products;
            Array.Resize(ref products, Math.Max(InitialCapacity, 2 * Products.Length));
            Products = products;
        }

        var rows = new int[imageCount];
        category = Intern(category);
        if (known)
        {
            replaced = Products[slot];
            DropRows(replaced);
        }
        else
        {
            replaced = null;
            slot = ProductCount++;
            _slotById.Add(productId, slot);
            _idChars += productId.Length;
        }

        Products[slot] = new Product(productId, category, rows);
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
    /// <param name="removed">Its entry, with its rows (already dropped) and category.</param>
    /// <returns>False if it was not held.</returns>
    public bool Remove(string productId, [NotNullWhen(true)] out Product? removed)
    {
        if (!_slotById.Remove(productId, out var slot))
        {
            removed = null;
            return false;
        }

        removed = Products[slot];
        DropRows(removed);
        _idChars -= productId.Length;

        var last = ProductCount - 1;
        if (slot != last)
        {
            var moved = Products[last];
            Products[slot] = moved;
            _slotById[moved.Id] = slot;
            foreach (var row in moved.Rows)
            {
                RowProduct[row] = slot;
            }
        }

        Products[last] = null!;
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
        Products[slot].Rows[image] = row;
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

            var product = Products[slot];
            yield return new IndexedProduct(product.Id, product.Category, product.Rows.Length);
        }
    }

    /// <summary>
    /// Makes <paramref name="target"/>, a new and empty bookkeeping of the same kind, a copy of this one: same slots,
    /// rows and categories (the same string instances). Its index grows its own arrays first
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
        target.Products = new Product[Math.Max(ProductCount, InitialCapacity)];
        for (var slot = 0; slot < ProductCount; slot++)
        {
            var product = Products[slot];
            target.Products[slot] = new Product(product.Id, product.Category, (int[])product.Rows.Clone());
            target._slotById.Add(product.Id, slot);
        }

        target.ProductCount = ProductCount;
        target._idChars = _idChars;
    }

    /// <summary>
    /// Drops a product's rows. Dense: moves the current last row into each hole. The moved row may belong to
    /// <paramref name="product"/> itself; its entry in <c>Rows</c> is updated before that image is reached, which is
    /// why the loop reads <c>Rows[image]</c> afresh each time. Example: rows [p0 p1 q0 p2] (p's images 0..2 at rows
    /// 0, 1, 3). Remove image 0 → p2 moves to row 0: [p2 p1 q0]; image 1 → q0 moves to row 1: [p2 q0]; image 2 now
    /// lives at row 0 → q0 moves there: [q0].
    /// </summary>
    private void DropRows(Product product)
    {
        var rows = product.Rows;
        LiveRowCount -= rows.Length;
        if (_moveRow is null)
        {
            foreach (var row in rows)
            {
                RowProduct[row] = NoOwner;
            }

            return;
        }

        for (var image = 0; image < rows.Length; image++)
        {
            var row = rows[image];
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
            Products[owner].Rows[ownerImage] = row;
        }
    }

    /// <summary>A product's entry; <see cref="Rows"/>[i] is the row holding image i. Replaced, not changed, by an upsert.</summary>
    internal sealed class Product(string id, string? category, int[] rows)
    {
        public string Id { get; } = id;

        public string? Category { get; } = category;

        public int[] Rows { get; } = rows;
    }
}
