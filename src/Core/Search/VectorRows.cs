using System.IO.MemoryMappedFiles;

namespace OutfitFinder.Core.Search;

/// <summary>
/// The float block behind a <see cref="FlatVectorIndex"/>: <see cref="Values"/> spans the whole capacity, and the
/// index decides which part holds rows. Grows, never shrinks. Written only by the index's (serialised) writes.
/// </summary>
internal abstract class VectorRows : IDisposable
{
    /// <summary>Every float of the current capacity.</summary>
    public abstract Span<float> Values { get; }

    /// <summary>Grows to <paramref name="capacity"/> floats, keeping the first <paramref name="keep"/>.</summary>
    public abstract void Grow(int capacity, int keep);

    public abstract void Dispose();
}

/// <summary>Rows in one managed array, replaced by a larger copy on growth.</summary>
internal sealed class ManagedVectorRows : VectorRows
{
    private float[] _values = [];

    public override Span<float> Values => _values;

    public override void Grow(int capacity, int keep)
    {
        var grown = GC.AllocateUninitializedArray<float>(capacity);
        _values.AsSpan(0, keep).CopyTo(grown);
        _values = grown;
    }

    public override void Dispose()
    {
    }
}

/// <summary>
/// Rows in a scratch file mapped into memory (see <see cref="VectorStorage"/>). Growth lengthens the file and maps
/// it again; the new view shows the rows already written, so nothing is copied.
/// </summary>
/// <remarks>
/// Earlier views stay mapped until disposal. A search is never meant to overlap a write, but a pass whose caller
/// gave up (a cancelled request) can still be reading when the next write grows the block: unmapping under it would
/// crash the process, where a managed array would merely be replaced. Keeping them costs address space only: the
/// views share the file's pages, and with doubling growth they add up to less than twice the last one. On Linux an
/// earlier view's page-table entries are dropped on growth (<c>madvise(MADV_DONTNEED)</c>, which for a shared file
/// mapping discards no data: a straggler faults the same pages back in), so the process's resident size counts
/// each row once.
/// </remarks>
internal sealed unsafe class MappedVectorRows : VectorRows
{
    private readonly FileStream _file;
    private readonly List<(MemoryMappedFile Map, MemoryMappedViewAccessor View)> _mappings = [];
    private float* _values;
    private int _capacity;
    private bool _disposed;

    public MappedVectorRows(string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"vectors-{Environment.ProcessId}-{Guid.NewGuid():N}.f32");
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 1,
            OperatingSystem.IsWindows() ? FileOptions.DeleteOnClose : FileOptions.None);
        if (!OperatingSystem.IsWindows())
        {
            // Unlinked while open: the mapping keeps the data, and no file outlives the process, even after a kill.
            File.Delete(path);
        }
    }

    public override Span<float> Values
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return new Span<float>(_values, _capacity);
        }
    }

    public override void Grow(int capacity, int keep)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (capacity <= _capacity)
        {
            return;
        }

        var bytes = (long)capacity * sizeof(float);
        var map = MemoryMappedFile.CreateFromFile(_file, mapName: null, bytes, MemoryMappedFileAccess.ReadWrite,
            HandleInheritability.None, leaveOpen: true);
        MemoryMappedViewAccessor view;
        try
        {
            view = map.CreateViewAccessor(0, bytes, MemoryMappedFileAccess.ReadWrite);
        }
        catch
        {
            map.Dispose();
            throw;
        }

        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        if (_mappings.Count > 0 && OperatingSystem.IsLinux())
        {
            var (_, previous) = _mappings[^1];
            var previousBytes = (nuint)((ulong)_capacity * sizeof(float));
            _ = Madvise((nint)_values - (nint)previous.PointerOffset, previousBytes + (nuint)previous.PointerOffset, MadviseDontNeed);
        }

        if (OperatingSystem.IsLinux())
        {
            // A graph's re-ranking reads a few rows here and there: without this advice every fault of an evicted row
            // reads ahead the rows around it too, which under memory pressure evicts the rows the next query needs.
            _ = Madvise((nint)pointer, (nuint)(bytes + view.PointerOffset), MadviseRandom);
        }

        _mappings.Add((map, view));
        _values = (float*)(pointer + view.PointerOffset);
        _capacity = capacity;
    }

    private const int MadviseRandom = 1;
    private const int MadviseDontNeed = 4;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var (map, view) in _mappings)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            map.Dispose();
        }

        _mappings.Clear();
        _file.Dispose();
        _values = null;
        _capacity = 0;
    }
}
