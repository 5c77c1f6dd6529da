namespace RtmpGateway.Hub;

/// <summary>
/// Bytes from the ingest (an FLV tag body: the access unit's payload is a slice of it), shared by
/// every reader without a copy. Ownership is counted: whoever creates one holds one reference, each
/// holder that keeps it past the call that handed it over takes one more (<see cref="AddRef"/>) and
/// gives it back (<see cref="Release"/>); <see cref="References"/> says who still holds it.
/// <para>The array is not returned to a pool on the last release: the packager keeps payload slices
/// of the frames it reads until their part is written, past the frame's release, so the garbage
/// collector decides when the bytes go. Pooling them needs the packager to hold references for
/// its pending samples first.</para>
/// </summary>
public sealed class MediaBuffer
{
    private readonly byte[] _array;
    private readonly int _length;
    private int _references = 1;

    private MediaBuffer(byte[] array, int length)
    {
        _array = array;
        _length = length;
    }

    /// <summary>A copy of <paramref name="bytes"/> in an array of its own, with one reference (the caller's).</summary>
    public static MediaBuffer CopyOf(ReadOnlySpan<byte> bytes)
    {
        byte[] array = GC.AllocateUninitializedArray<byte>(bytes.Length);
        bytes.CopyTo(array);
        return new MediaBuffer(array, bytes.Length);
    }

    /// <summary>
    /// Takes over an array nobody writes any more (e.g. an RTMP message's reassembly buffer, detached
    /// from the chunk reader): no copy. Its first <paramref name="length"/> bytes are the content.
    /// </summary>
    public static MediaBuffer Own(byte[] array, int length)
    {
        ArgumentNullException.ThrowIfNull(array);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, array.Length);
        return new MediaBuffer(array, length);
    }

    public int Length => _length;

    /// <summary>The bytes.</summary>
    public ReadOnlyMemory<byte> Memory => _array.AsMemory(0, _length);

    /// <summary>References held now (for tests and leak checks).</summary>
    public int References => Volatile.Read(ref _references);

    public void AddRef()
    {
        int before;
        do
        {
            before = Volatile.Read(ref _references);
            if (before <= 0)
            {
                throw new InvalidOperationException("a released MediaBuffer cannot be shared again");
            }
        }
        while (Interlocked.CompareExchange(ref _references, before + 1, before) != before);
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) < 0)
        {
            throw new InvalidOperationException("MediaBuffer released more often than referenced");
        }
    }
}
