using System.Buffers;
using RtmpGateway.Rtmp.Chunks;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Rtmp.Tests;

public class ChunkReaderTests
{
    // RTMP 1.0 §5.3.2.1, Example 1: four 32-byte audio messages on chunk stream 3, message stream
    // 12345, timestamps 1000, 1020, 1040, 1060: a type-0 chunk, a type-2 chunk (delta 20), then two
    // type-3 chunks that reuse the delta. Header bytes written out from the spec's table.
    private static readonly byte[] SpecExample1 =
    [
        .. Hex.Bytes("03 0003E8 000020 08 39300000"), .. Payload(32, 1),
        .. Hex.Bytes("83 000014"), .. Payload(32, 2),
        .. Hex.Bytes("C3"), .. Payload(32, 3),
        .. Hex.Bytes("C3"), .. Payload(32, 4),
    ];

    // §5.3.2.2, Example 2: one 307-byte video message (type 9, stream 12346, timestamp 1000) on
    // chunk stream 4 with the default chunk size 128: a type-0 chunk then two type-3 chunks.
    private static readonly byte[] SpecExample2 =
    [
        .. Hex.Bytes("04 0003E8 000133 09 3A300000"), .. Payload(307, 9).AsSpan(0, 128),
        .. Hex.Bytes("C4"), .. Payload(307, 9).AsSpan(128, 128),
        .. Hex.Bytes("C4"), .. Payload(307, 9).AsSpan(256, 51),
    ];

    private static byte[] Payload(int length, int seed) => [.. Enumerable.Range(0, length).Select(i => (byte)((i * 7) + seed))];

    [Fact]
    public void TryReadMessage_SpecExample1_GivesFourAudioMessagesWithDeltas()
    {
        using var reader = new ChunkReader();
        var messages = new ChunkFeeder(reader).Feed(SpecExample1);

        Assert.Equal([1000u, 1020u, 1040u, 1060u], messages.Select(m => m.Message.Timestamp));
        Assert.All(messages, m => Assert.Equal(RtmpMessageType.Audio, m.Message.Type));
        Assert.All(messages, m => Assert.Equal(12345u, m.Message.StreamId));
        Assert.All(messages, m => Assert.Equal(3, m.Message.ChunkStreamId));
        Assert.Equal(Payload(32, 3), messages[2].Payload);
    }

    [Fact]
    public void TryReadMessage_SpecExample2_ReassemblesOneMessage()
    {
        using var reader = new ChunkReader();
        var messages = new ChunkFeeder(reader).Feed(SpecExample2);

        var m = Assert.Single(messages);
        Assert.Equal(RtmpMessageType.Video, m.Message.Type);
        Assert.Equal(12346u, m.Message.StreamId);
        Assert.Equal(1000u, m.Message.Timestamp);
        Assert.Equal(Payload(307, 9), m.Payload);
    }

    [Fact]
    public void Write_SpecExample2_GivesTheSpecBytes()
    {
        var output = new ArrayBufferWriter<byte>();
        new ChunkWriter().Write(output, 4, RtmpMessageType.Video, 12346, 1000, Payload(307, 9));
        Assert.Equal(SpecExample2, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void ChunkedLength_SpecExample2_IsTheSpecByteCount()
    {
        Assert.Equal(SpecExample2.Length, ChunkWriter.ChunkedLength(128, 4, 1000, 307));
    }

    // Counted by hand from §5.3.1: basic header 1/2/3 bytes (csid < 64 / < 320 / above), an 11-byte
    // message header on the first chunk, a 4-byte extended timestamp on every chunk when needed.
    [Theory]
    [InlineData(128, 6, 0x0100_0000u, 300, 300 + 16 + (2 * 5))]
    [InlineData(128, 6, 0u, 256, 256 + 12 + 1)]
    [InlineData(128, 6, 0u, 257, 257 + 12 + 2)]
    [InlineData(4096, 6, 0u, 0, 12)]
    [InlineData(4096, 64, 0u, 10, 10 + 13)]
    [InlineData(4096, 320, 0u, 10, 10 + 14)]
    [InlineData(4096, 320, 0xFFFFFFu, 9000, 9000 + 14 + 4 + (2 * (3 + 4)))]
    public void ChunkedLength_IsWhatWriteProduces(int chunkSize, int csid, uint timestamp, int payloadLength, int expected)
    {
        var output = new ArrayBufferWriter<byte>();
        new ChunkWriter { ChunkSize = chunkSize }.Write(output, csid, RtmpMessageType.Video, 1, timestamp, Payload(payloadLength, 3));

        Assert.Equal(expected, ChunkWriter.ChunkedLength(chunkSize, csid, timestamp, payloadLength));
        Assert.Equal(expected, output.WrittenCount);
    }

    [Fact]
    public void TryReadMessage_EveryTruncatedPrefix_ConsumesOnlyWholeChunksAndThenCompletes()
    {
        byte[] all = [.. SpecExample1, .. SpecExample2];
        for (int cut = 0; cut < all.Length; cut++)
        {
            using var reader = new ChunkReader();
            var feeder = new ChunkFeeder(reader);
            var first = feeder.Feed(all.AsSpan(0, cut));
            var rest = feeder.Feed(all.AsSpan(cut));
            Assert.Equal(5, first.Count + rest.Count);
            Assert.Equal(0, feeder.Pending);
        }
    }

    [Fact]
    public void TryReadMessage_ByteByByte_GivesTheSameMessages()
    {
        using var reader = new ChunkReader();
        var feeder = new ChunkFeeder(reader);
        var messages = new List<(RtmpMessage Message, byte[] Payload)>();
        foreach (byte b in (byte[])[.. SpecExample2, .. SpecExample1])
        {
            messages.AddRange(feeder.Feed([b]));
        }

        Assert.Equal([RtmpMessageType.Video, .. Enumerable.Repeat(RtmpMessageType.Audio, 4)], messages.Select(m => m.Message.Type));
        Assert.Equal(Payload(307, 9), messages[0].Payload);
    }

    [Theory]
    [InlineData(63, "3F")]          // largest 1-byte basic header
    [InlineData(64, "00 00")]       // 2-byte form: id - 64
    [InlineData(319, "00 FF")]
    [InlineData(320, "01 00 01")]   // 3-byte form: (third byte) * 256 + second byte + 64
    [InlineData(65599, "01 FF FF")]
    public void Write_BasicHeaderForms_MatchSpecAndReadBack(int csid, string header)
    {
        var output = new ArrayBufferWriter<byte>();
        new ChunkWriter().Write(output, csid, RtmpMessageType.Audio, 1, 5, [0xAF, 0x01]);
        byte[] expectedHeader = Hex.Bytes(header);
        Assert.Equal(expectedHeader, output.WrittenSpan[..expectedHeader.Length].ToArray());

        using var reader = new ChunkReader();
        var m = Assert.Single(new ChunkFeeder(reader).Feed(output.WrittenSpan));
        Assert.Equal(csid, m.Message.ChunkStreamId);
        Assert.Equal(5u, m.Message.Timestamp);
    }

    [Fact]
    public void TryReadMessage_ExtendedTimestampRepeatedOnType3_IsNotTakenAsPayload()
    {
        // 300-byte message, timestamp 0x01000000 (needs the extended field), chunk size 128: the
        // continuation chunks repeat the 4-byte extended timestamp, as FFmpeg writes them.
        var output = new ArrayBufferWriter<byte>();
        new ChunkWriter().Write(output, 6, RtmpMessageType.Video, 1, 0x0100_0000, Payload(300, 5));
        byte[] bytes = output.WrittenSpan.ToArray();
        Assert.Equal(Hex.Bytes("06 FFFFFF 00012C 09 01000000 01000000"), bytes[..16]);
        Assert.Equal(Hex.Bytes("C6 01000000"), bytes[(16 + 128)..(16 + 128 + 5)]);

        using var reader = new ChunkReader();
        var m = Assert.Single(new ChunkFeeder(reader).Feed(bytes));
        Assert.Equal(0x0100_0000u, m.Message.Timestamp);
        Assert.Equal(Payload(300, 5), m.Payload);
    }

    [Fact]
    public void TryReadMessage_ExtendedTimestampOmittedOnType3Continuation_KeepsPayloadIntact()
    {
        // Some encoders leave the repetition out on continuation chunks.
        byte[] payload = Payload(200, 1);
        byte[] bytes = [.. Hex.Bytes("06 FFFFFF 0000C8 09 01000000 7FFFFFF0"), .. payload.AsSpan(0, 128), .. Hex.Bytes("C6"), .. payload.AsSpan(128)];
        using var reader = new ChunkReader();
        var m = Assert.Single(new ChunkFeeder(reader).Feed(bytes));
        Assert.Equal(0x7FFF_FFF0u, m.Message.Timestamp);
        Assert.Equal(payload, m.Payload);
    }

    [Fact]
    public void TryReadMessage_InterleavedChunkStreams_ReassemblesBoth()
    {
        // Video (csid 6, 200 bytes) and audio (csid 4, 10 bytes) interleaved between video chunks.
        byte[] video = Payload(200, 2);
        byte[] audio = Payload(10, 3);
        byte[] bytes =
        [
            .. Hex.Bytes("06 000064 0000C8 09 01000000"), .. video.AsSpan(0, 128),
            .. Hex.Bytes("04 000065 00000A 08 01000000"), .. audio,
            .. Hex.Bytes("C6"), .. video.AsSpan(128),
        ];
        using var reader = new ChunkReader();
        var messages = new ChunkFeeder(reader).Feed(bytes);
        Assert.Equal(2, messages.Count);
        Assert.Equal(audio, messages[0].Payload);
        Assert.Equal(video, messages[1].Payload);
        Assert.Equal(100u, messages[1].Message.Timestamp);
    }

    [Fact]
    public void TryReadMessage_Type1Header_KeepsStreamIdAndAddsDelta()
    {
        byte[] bytes =
        [
            .. Hex.Bytes("04 000010 000002 08 07000000"), 0xAF, 0x01,
            .. Hex.Bytes("44 000017 000003 09"), 0x17, 0x01, 0x00,
        ];
        using var reader = new ChunkReader();
        var messages = new ChunkFeeder(reader).Feed(bytes);
        Assert.Equal(16u + 23u, messages[1].Message.Timestamp);
        Assert.Equal(7u, messages[1].Message.StreamId);
        Assert.Equal(RtmpMessageType.Video, messages[1].Message.Type);
    }

    [Fact]
    public void Abort_DiscardsThePartialMessage()
    {
        using var reader = new ChunkReader();
        var feeder = new ChunkFeeder(reader);
        Assert.Empty(feeder.Feed([.. Hex.Bytes("06 000000 0000C8 09 01000000"), .. Payload(128, 0)]));
        reader.Abort(6);
        var m = Assert.Single(feeder.Feed([.. Hex.Bytes("06 000000 000002 09 01000000"), 1, 2]));
        Assert.Equal([1, 2], m.Payload);
    }

    [Fact]
    public void SetChunkSize_LargerChunks_AreReadWhole()
    {
        byte[] payload = Payload(5000, 4);
        var output = new ArrayBufferWriter<byte>();
        var writer = new ChunkWriter();
        writer.Write(output, 2, RtmpMessageType.SetChunkSize, 0, 0, ProtocolControl.SetChunkSize(4096));
        writer.ChunkSize = 4096;
        writer.Write(output, 6, RtmpMessageType.Video, 1, 40, payload);

        using var reader = new ChunkReader();
        var messages = new ChunkFeeder(reader).Feed(output.WrittenSpan);
        Assert.Equal(4096, reader.ChunkSize);
        Assert.Equal(payload, messages[1].Payload);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(127u)]
    [InlineData(0x8000_0000u)]
    [InlineData(0xFFFF_FFFFu)]
    public void SetChunkSize_OutOfRange_Throws(uint size)
    {
        using var reader = new ChunkReader();
        var ex = Assert.Throws<RtmpProtocolException>(() => reader.SetChunkSize(size));
        Assert.Equal(RtmpErrorReason.ChunkSizeInvalid, ex.Reason);
    }

    [Fact]
    public void SetChunkSize_Huge_IsAcceptedButBoundedByMessageSize()
    {
        using var reader = new ChunkReader(new ChunkReaderLimits { MaxMessageSize = 65536 });
        reader.SetChunkSize(0x7FFF_FFFF);
        Assert.Equal(65536, reader.ChunkSize);
    }

    [Fact]
    public void TryReadMessage_MessageLongerThanLimit_Throws()
    {
        using var reader = new ChunkReader(new ChunkReaderLimits { MaxMessageSize = 1000 });
        var ex = Assert.Throws<RtmpProtocolException>(() => new ChunkFeeder(reader).Feed(Hex.Bytes("06 000000 0003E9 09 01000000")));
        Assert.Equal(RtmpErrorReason.MessageTooLarge, ex.Reason);
    }

    [Theory]
    [InlineData("46 000000 000010 09")]
    [InlineData("86 000000")]
    [InlineData("C6")]
    public void TryReadMessage_NonType0OnUnopenedChunkStream_Throws(string header)
    {
        using var reader = new ChunkReader();
        var ex = Assert.Throws<RtmpProtocolException>(() => new ChunkFeeder(reader).Feed([.. Hex.Bytes(header), 0, 0, 0, 0]));
        Assert.Equal(RtmpErrorReason.ChunkStreamNotOpened, ex.Reason);
    }

    [Fact]
    public void TryReadMessage_DeclaredMaximumLength_AllocatesOnlyWhatArrived()
    {
        // A 16 MiB - 1 declaration with 128 bytes behind it must not make the reader allocate 16 MiB.
        using var reader = new ChunkReader(new ChunkReaderLimits { MaxMessageSize = 16 * 1024 * 1024 });
        byte[] bytes = [.. Hex.Bytes("06 000000 FFFFFF 09 01000000"), .. Payload(128, 0)];
        var feeder = new ChunkFeeder(reader);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Empty(feeder.Feed(bytes));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void TryReadMessage_ManyChunkStreams_Throws()
    {
        using var reader = new ChunkReader(new ChunkReaderLimits { MaxChunkStreams = 4 });
        var feeder = new ChunkFeeder(reader);
        var ex = Assert.Throws<RtmpProtocolException>(() =>
        {
            for (int csid = 3; csid < 10; csid++)
            {
                feeder.Feed([.. Hex.Bytes($"{csid:X2} 000000 000100 09 01000000"), .. Payload(128, 0)]);
            }
        });
        Assert.Equal(RtmpErrorReason.TooManyChunkStreams, ex.Reason);
    }

    [Fact]
    public void TryReadMessage_PartialMessagesAcrossStreams_AreBounded()
    {
        using var reader = new ChunkReader(new ChunkReaderLimits { MaxMessageSize = 1 << 20, MaxBufferedBytes = 4096 });
        var feeder = new ChunkFeeder(reader);
        var ex = Assert.Throws<RtmpProtocolException>(() =>
        {
            // Eight interleaved 64 KiB messages, each only partly sent: together past the 4 KiB bound.
            for (int round = 0; round < 16; round++)
            {
                for (int csid = 3; csid < 11; csid++)
                {
                    byte[] header = round == 0 ? Hex.Bytes($"{csid:X2} 000000 010000 09 01000000") : [(byte)(0xC0 | csid)];
                    feeder.Feed([.. header, .. Payload(128, 0)]);
                }
            }
        });
        Assert.Equal(RtmpErrorReason.MessageTooLarge, ex.Reason);
    }

    [Fact]
    public void TryReadMessage_RandomInput_ThrowsOnlyProtocolErrors()
    {
        var random = new Random(1935);
        for (int i = 0; i < 5000; i++)
        {
            byte[] input = new byte[random.Next(1, 600)];
            random.NextBytes(input);
            using var reader = new ChunkReader(new ChunkReaderLimits { MaxMessageSize = 1 << 16 });
            try
            {
                new ChunkFeeder(reader).Feed(input);
            }
            catch (RtmpProtocolException)
            {
            }
        }
    }

    [Fact]
    public void DetachPayload_SpecExample2_TheCallerKeepsTheBytesAndTheNextMessageGetsAnotherBuffer()
    {
        using var reader = new ChunkReader();
        var sequence = new ReadOnlySequence<byte>([.. SpecExample2, .. SpecExample2]);
        var r = new SequenceReader<byte>(sequence);

        Assert.True(reader.TryReadMessage(ref r, out RtmpMessage first));
        byte[] kept = reader.DetachPayload(first);
        Assert.Equal(Payload(307, 9), kept.AsSpan(0, 307).ToArray());
        Assert.Throws<InvalidOperationException>(() => reader.DetachPayload(first));

        // The same message again on chunk stream 4: reassembled elsewhere, the detached bytes untouched.
        Assert.True(reader.TryReadMessage(ref r, out RtmpMessage second));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(second.Payload, out ArraySegment<byte> again));
        Assert.NotSame(kept, again.Array);
        Assert.Equal(Payload(307, 9), second.Payload.ToArray());
        Assert.Equal(Payload(307, 9), kept.AsSpan(0, 307).ToArray());

        // After a detach each message gets a buffer sized from the real lengths: exactly this one, no regrowth.
        Assert.Equal(307, again.Array!.Length);
    }

    [Fact]
    public void DetachPayload_AfterASmallMessage_ALargeDeclarationStillAllocatesOnlyWhatArrived()
    {
        using var reader = new ChunkReader(new ChunkReaderLimits { MaxMessageSize = 16 * 1024 * 1024 });
        var feeder = new ChunkFeeder(reader);
        byte[] small = [.. Hex.Bytes("06 000000 000080 09 01000000"), .. Payload(128, 0)];
        var r = new SequenceReader<byte>(new ReadOnlySequence<byte>(small));
        Assert.True(reader.TryReadMessage(ref r, out RtmpMessage message));
        reader.DetachPayload(message);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Empty(feeder.Feed([.. Hex.Bytes("06 000000 FFFFFF 09 01000000"), .. Payload(128, 0)]));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }
}
