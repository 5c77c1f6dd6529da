using System.Buffers;

namespace RtmpGateway.Hub;

/// <summary>
/// Bytes from the ingest (an FLV tag body: the access unit's payload is a slice of it), shared by
/// every reader without a copy. Ownership is counted: whoever creates one holds one reference, each
/// holder that keeps it past the call that handed it over takes one more (<see cref="AddRef"/>) and
/// gives it back (<see cref="Release"/>); the last release returns the array to the pool.
/// </summary>
public sealed class MediaBuffer
{
    private byte[]? _array;
    private readonly int _length;
    private int _references = 1;

    private MediaBuffer(byte[] array, int length)
    {
        _array = array;
        _length = length;
    }

    /// <summary>A copy of <paramref name="bytes"/> in a pooled array, with one reference (the caller's).</summary>
    public static MediaBuffer CopyOf(ReadOnlySpan<byte> bytes)
    {
        byte[] array = ArrayPool<byte>.Shared.Rent(Math.Max(bytes.Length, 1));
        bytes.CopyTo(array);
        return new MediaBuffer(array, bytes.Length);
    }

    /// <summary>
    /// Takes over an array rented from <see cref="ArrayPool{T}.Shared"/> (e.g. a reassembled RTMP
    /// message): no copy; the array goes back to the pool with the last release.
    /// </summary>
    public static MediaBuffer Adopt(byte[] pooledArray, int length)
    {
        ArgumentNullException.ThrowIfNull(pooledArray);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, pooledArray.Length);
        return new MediaBuffer(pooledArray, length);
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
            if (array is not null)
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
