using System.Buffers;

namespace RtmpGateway.Hub;

/// <summary>
/// Bytes from the ingest (an FLV tag body: the access unit's payload is a slice of it), shared by
/// every reader without a copy. Ownership is counted: whoever creates one holds one reference, each
/// holder that keeps it past the call that handed it over takes one more (<see cref="AddRef"/>) and
/// gives it back (<see cref="Release"/>); the last release returns a pooled array to the pool.
/// <para>A buffer from <see cref="CopyOf"/> is not pooled: the packager keeps payload slices of the
/// frames it reads until their part is written, past the frame's release, so the garbage collector
/// decides when those bytes go. A pooled buffer (<see cref="Adopt"/>) is for readers that copy or
/// finish with a frame before they release it.</para>
/// </summary>
public sealed class MediaBuffer
{
    private byte[]? _array;
    private readonly int _length;
    private readonly bool _pooled;
    private int _references = 1;

    private MediaBuffer(byte[] array, int length, bool pooled)
    {
        _array = array;
        _length = length;
        _pooled = pooled;
    }

    /// <summary>A copy of <paramref name="bytes"/> in an array of its own, with one reference (the caller's).</summary>
    public static MediaBuffer CopyOf(ReadOnlySpan<byte> bytes)
    {
        byte[] array = GC.AllocateUninitializedArray<byte>(bytes.Length);
        bytes.CopyTo(array);
        return new MediaBuffer(array, bytes.Length, pooled: false);
    }

    /// <summary>
    /// Takes over an array rented from <see cref="ArrayPool{T}.Shared"/> (e.g. a reassembled RTMP
    /// message): no copy; the array goes back to the pool with the last release.
    /// </summary>
    public static MediaBuffer Adopt(byte[] pooledArray, int length)
    {
        ArgumentNullException.ThrowIfNull(pooledArray);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, pooledArray.Length);
        return new MediaBuffer(pooledArray, length, pooled: true);
    }

    public int Length => _length;

    /// <summary>The bytes; valid while the caller holds a reference.</summary>
    public ReadOnlyMemory<byte> Memory => (_array ?? throw new ObjectDisposedException(nameof(MediaBuffer))).AsMemory(0, _length);

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
        int left = Interlocked.Decrement(ref _references);
        if (left == 0)
        {
            byte[]? array = Interlocked.Exchange(ref _array, null);
            if (array is not null && _pooled)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
        else if (left < 0)
        {
            throw new InvalidOperationException("MediaBuffer released more often than referenced");
        }
    }
}
