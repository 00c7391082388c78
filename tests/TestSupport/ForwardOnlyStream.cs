namespace OutfitFinder.TestSupport;

/// <summary>
/// A read-only, non-seekable stream over <paramref name="data"/> that hands out at most
/// <paramref name="readSize"/>(n) bytes on its n-th read, as a pipe or a network stream may: readers must
/// cope with short, uneven reads and with no length.
/// </summary>
public sealed class ForwardOnlyStream(byte[] data, Func<int, int> readSize) : Stream
{
    private int _position;
    private int _reads;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var size = Math.Min(Math.Min(count, readSize(_reads++)), data.Length - _position);
        data.AsSpan(_position, size).CopyTo(buffer.AsSpan(offset));
        _position += size;
        return size;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
