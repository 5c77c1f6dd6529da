using System.Buffers;
using RtmpGateway.Media;
using RtmpGateway.Packaging.Cmaf;

namespace RtmpGateway.Packaging.Live;

/// <summary>
/// One segment's bytes as they are made: the styp, then each part (moof + mdat) written in place
/// behind the one before, so that a part is a slice of the segment and the complete segment is the
/// buffer itself, with no joining copy. Sized from the previous segment of the track (plus an eighth
/// and 4 KiB of room); a segment that outgrows it moves once into a buffer twice as large (the parts
/// already handed out keep pointing at the old bytes, which stay as they were).
/// </summary>
internal sealed class SegmentBuffer : IBufferWriter<byte>
{
    private byte[] _array;
    private int _used;

    public SegmentBuffer(int expectedBytes)
    {
        ReadOnlySpan<byte> styp = CmafFragment.SegmentTypeBox;
        _array = GC.AllocateUninitializedArray<byte>(styp.Length + Math.Max(expectedBytes, 4096));
        styp.CopyTo(_array);
        _used = styp.Length;
    }

    /// <summary>The room to ask for, for a segment like <paramref name="previousBytes"/> (0: none yet).</summary>
    public static int Expect(int previousBytes, CodecConfig config)
        => previousBytes > 0 ? previousBytes + (previousBytes / 8) + 4096 : config.Kind == MediaKind.Video ? 256 * 1024 : 32 * 1024;

    /// <summary>Writes one part behind the others and returns its bytes (a slice of this segment).</summary>
    public ReadOnlyMemory<byte> AppendChunk(CodecConfig config, uint sequenceNumber, IReadOnlyList<CmafSample> samples)
    {
        int size = CmafFragment.GetChunkSize(samples);
        Ensure(size);
        int start = _used;
        CmafFragment.WriteChunk(config, sequenceNumber, samples, this);
        return _array.AsMemory(start, _used - start);
    }

    /// <summary>styp and every part written so far: the segment's body once it is complete.</summary>
    public ReadOnlyMemory<byte> Body => _array.AsMemory(0, _used);

    /// <summary>Bytes of the parts (without the styp).</summary>
    public int PartBytes => _used - CmafFragment.SegmentTypeBox.Length;

    void IBufferWriter<byte>.Advance(int count) => _used += count;

    Memory<byte> IBufferWriter<byte>.GetMemory(int sizeHint)
    {
        Ensure(Math.Max(sizeHint, 1));
        return _array.AsMemory(_used);
    }

    Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint)
    {
        Ensure(Math.Max(sizeHint, 1));
        return _array.AsSpan(_used);
    }

    private void Ensure(int size)
    {
        if (_array.Length - _used >= size)
        {
            return;
        }

        byte[] bigger = GC.AllocateUninitializedArray<byte>(Math.Max(_array.Length * 2, _used + size));
        _array.AsSpan(0, _used).CopyTo(bigger);
        _array = bigger;
    }
}
