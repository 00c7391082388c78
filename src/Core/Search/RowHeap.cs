namespace OutfitFinder.Core.Search;

/// <summary>
/// A binary heap of (distance, row) pairs on an array that is kept between uses, nearest or farthest first.
/// A graph search fills two of these thousands of times a second; <see cref="PriorityQueue{TElement, TPriority}"/>
/// would allocate both per search and compare through an interface.
/// </summary>
internal sealed class RowHeap(bool farthestFirst)
{
    private (float Distance, int Row)[] _items = new (float, int)[64];

    public int Count { get; private set; }

    /// <summary>The first pair (nearest, or farthest with <c>farthestFirst</c>); only when <see cref="Count"/> &gt; 0.</summary>
    public (float Distance, int Row) Top => _items[0];

    public void Clear() => Count = 0;

    public void Push(float distance, int row)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, 2 * _items.Length);
        }

        var items = _items;
        var i = Count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Before(distance, items[parent].Distance))
            {
                break;
            }

            items[i] = items[parent];
            i = parent;
        }

        items[i] = (distance, row);
    }

    public (float Distance, int Row) Pop()
    {
        var items = _items;
        var top = items[0];
        var last = items[--Count];
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && Before(items[child + 1].Distance, items[child].Distance))
            {
                child++;
            }

            if (!Before(items[child].Distance, last.Distance))
            {
                break;
            }

            items[i] = items[child];
            i = child;
        }

        items[i] = last;
        return top;
    }

    private bool Before(float a, float b) => farthestFirst ? a > b : a < b;
}
