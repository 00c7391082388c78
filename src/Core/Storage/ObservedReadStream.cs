namespace OutfitFinder.Core.Storage;

/// <summary>
/// The next <c>length</c> bytes of another stream, read-only and forward-only, each byte shown to
/// <c>observe</c> (a running checksum) as it is read: a payload can be parsed or copied as it arrives while
/// its checksum is computed on the way. Reads end at the bound; the inner stream is left open, positioned
/// after what was read.
/// </summary>
internal sealed class ObservedReadStream(Stream inner, long length, Action<ReadOnlySpan<byte>> observe) : Stream
{
    private readonly long _length = length;
    private long _remaining = length;

    /// <summary>Bytes of the bound not read yet.</summary>
    public long Remaining => _remaining;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _length - _remaining;
        set => throw new NotSupportedException("The payload is read forward only.");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer[..Bounded(buffer.Length)]);
        return Account(buffer[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer[..Bounded(buffer.Length)], cancellationToken).ConfigureAwait(false);
        return Account(buffer.Span[..read]);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("The payload is read forward only.");

    public override void SetLength(long value) => throw new NotSupportedException("The payload is read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The payload is read-only.");

    private int Bounded(int wanted) => (int)Math.Min(wanted, _remaining);

    private int Account(ReadOnlySpan<byte> read)
    {
        observe(read);
        _remaining -= read.Length;
        return read.Length;
    }
}
