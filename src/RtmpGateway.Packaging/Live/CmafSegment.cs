using RtmpGateway.Packaging.Cmaf;

namespace RtmpGateway.Packaging.Live;

/// <summary>
/// One CMAF chunk of a segment (an LL-HLS part): moof + mdat. Immutable once published.
/// Times are in the track's timescale; <see cref="CreatedAt"/> is the wall clock when it was made.
/// <see cref="Bytes"/> is a slice of its segment's bytes (<see cref="CmafSegment.Body"/> once complete).
/// </summary>
public sealed record CmafPart(int Index, long Start, long Duration, bool Independent, ReadOnlyMemory<byte> Bytes, DateTimeOffset CreatedAt);

/// <summary>
/// One CMAF segment: styp then its parts. Immutable once complete; while it grows, each snapshot
/// holds a new instance with the parts so far.
/// </summary>
public sealed class CmafSegment
{
    public CmafSegment(
        long sequence,
        long start,
        long duration,
        DateTimeOffset programDateTime,
        IReadOnlyList<CmafPart> parts,
        bool complete,
        bool independent,
        long discontinuitySequence,
        InitSegment init,
        ReadOnlyMemory<byte> body = default)
    {
        Sequence = sequence;
        DiscontinuitySequence = discontinuitySequence;
        Init = init;
        Start = start;
        Duration = duration;
        ProgramDateTime = programDateTime;
        IsComplete = complete;
        Independent = independent;
        ByteLength = parts.Sum(p => p.Bytes.Length);
        // A body written in place (SegmentBuffer: styp, then the parts as its slices) is taken as it
        // is; otherwise the parts are joined once.
        (Parts, Body) = !complete ? (parts, default) : body.Length == CmafFragment.SegmentTypeBox.Length + ByteLength ? (parts, body) : Join(parts, ByteLength);
    }

    /// <summary>Media sequence number; the same for every track of a stream covering the same interval.</summary>
    public long Sequence { get; }

    /// <summary>
    /// HLS's Discontinuity Sequence Number (RFC 8216bis 6.2.2): how many discontinuities (reconnects,
    /// codec config changes) the stream had before this segment. The same for every track's segment of
    /// a sequence number; a segment whose number is higher than its predecessor's starts after one.
    /// </summary>
    public long DiscontinuitySequence { get; }

    /// <summary>The CMAF header its samples decode with.</summary>
    public InitSegment Init { get; }

    /// <summary>Decode time of the first sample (tfdt), in the track's timescale.</summary>
    public long Start { get; }

    /// <summary>Sum of its sample durations (so far, while incomplete).</summary>
    public long Duration { get; }

    /// <summary>Wall clock of its first sample at ingest.</summary>
    public DateTimeOffset ProgramDateTime { get; }

    public IReadOnlyList<CmafPart> Parts { get; }

    /// <summary>
    /// A complete segment's bytes in one buffer, styp and then every part, as served: one write per
    /// response instead of one per part. Empty while the segment grows.
    /// </summary>
    public ReadOnlyMemory<byte> Body { get; }

    public bool IsComplete { get; }

    /// <summary>Starts with a keyframe (always, unless a runaway GOP forced the cut).</summary>
    public bool Independent { get; }

    /// <summary>Bytes of the parts (the styp in front of them is not counted).</summary>
    public int ByteLength { get; }

    /// <summary>Copies styp and the parts into one buffer, once, and re-points each part at its slice of it (the parts' own buffers are then let go).</summary>
    private static (IReadOnlyList<CmafPart> Parts, ReadOnlyMemory<byte> Body) Join(IReadOnlyList<CmafPart> parts, int byteLength)
    {
        ReadOnlySpan<byte> styp = CmafFragment.SegmentTypeBox;
        byte[] body = GC.AllocateUninitializedArray<byte>(styp.Length + byteLength);
        styp.CopyTo(body);
        int offset = styp.Length;
        var joined = new CmafPart[parts.Count];
        for (int i = 0; i < parts.Count; i++)
        {
            ReadOnlyMemory<byte> bytes = parts[i].Bytes;
            bytes.Span.CopyTo(body.AsSpan(offset));
            joined[i] = parts[i] with { Bytes = body.AsMemory(offset, bytes.Length) };
            offset += bytes.Length;
        }

        return (joined, body);
    }
}
