using System.Buffers;

namespace RtmpGateway.Fuzz;

/// <summary>
/// Cuts an input into the pieces a socket might deliver, and keeps the pieces not yet consumed as
/// one multi-segment <see cref="ReadOnlySequence{T}"/>, as Kestrel's <c>PipeReader</c> hands them
/// to the connection: a parser sees fields and chunks cut at every possible place.
/// </summary>
internal sealed class Arrivals
{
    // The pieces not wholly consumed, as a linked chain: appending adds one segment and consuming
    // moves the head, so presenting the sequence allocates nothing (as in System.IO.Pipelines).
    private Segment? _head;
    private Segment? _tail;
    private int _headOffset;

    /// <summary>
    /// Piece lengths from one control byte: the low 3 bits give the longest piece (1, 2, 4 ... 128
    /// bytes; 1 feeds byte by byte), the high 5 bits seed the xorshift that draws each length.
    /// </summary>
    public static List<ReadOnlyMemory<byte>> Split(ReadOnlyMemory<byte> data, byte control)
    {
        int longest = 1 << (control & 0x07);
        uint state = 0x9E37_79B9u ^ ((uint)(control >> 3) * 0x0100_0193u);
        var pieces = new List<ReadOnlyMemory<byte>>();
        int position = 0;
        while (position < data.Length)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            int length = Math.Min(1 + (int)(state % (uint)longest), data.Length - position);
            pieces.Add(data.Slice(position, length));
            position += length;
        }

        return pieces;
    }

    /// <summary>Bytes received and not consumed yet.</summary>
    public long Length { get; private set; }

    public void Append(ReadOnlyMemory<byte> piece)
    {
        if (piece.IsEmpty)
        {
            return;
        }

        if (_tail is null)
        {
            _head = _tail = new Segment(piece, 0);
            _headOffset = 0;
        }
        else
        {
            _tail = _tail.Append(piece);
        }

        Length += piece.Length;
    }

    /// <summary>Everything not consumed yet, one segment per piece received.</summary>
    public ReadOnlySequence<byte> Sequence() =>
        _head is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_head, _headOffset, _tail!, _tail!.Memory.Length);

    /// <summary>Drops the first <paramref name="count"/> bytes, as <c>PipeReader.AdvanceTo</c> does.</summary>
    public void Consume(long count)
    {
        if (count < 0 || count > Length)
        {
            throw new FuzzInvariantException($"consumed {count} of {Length} bytes");
        }

        Length -= count;
        while (count > 0)
        {
            int left = _head!.Memory.Length - _headOffset;
            if (count < left)
            {
                _headOffset += (int)count;
                return;
            }

            count -= left;
            _head = (Segment?)_head.Next;
            _headOffset = 0;
        }

        if (Length == 0)
        {
            _head = _tail = null;
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
