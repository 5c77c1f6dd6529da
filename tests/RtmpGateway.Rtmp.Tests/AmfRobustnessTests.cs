using System.Text;
using RtmpGateway.Rtmp.Amf;
using static RtmpGateway.Rtmp.Tests.AmfTestSupport;

namespace RtmpGateway.Rtmp.Tests;

/// <summary>Hostile input: random bytes, depth bombs, declared lengths beyond the message, unknown markers.</summary>
public sealed class AmfRobustnessTests
{
    private static readonly Func<byte[], object?>[] Parsers =
    [
        bytes => Amf0.ReadAll(bytes),
        bytes => Amf0.ReadAmf3Command(bytes),
        bytes => Amf3.ReadAll(bytes),
    ];

    private static void OnlyProtocolExceptions(byte[] input)
    {
        foreach (var parse in Parsers)
        {
            var exception = Record.Exception(() => parse(input));
            Assert.True(
                exception is null or RtmpProtocolException,
                $"{Convert.ToHexString(input)} threw {exception?.GetType()}: {exception?.Message}");
        }
    }

    [Fact]
    public void Parsers_TenThousandSeededRandomBuffers_ThrowOnlyProtocolExceptions()
    {
        var random = new Random(20240517);
        for (var i = 0; i < 10_000; i++)
        {
            var buffer = new byte[random.Next(0, 64)];
            random.NextBytes(buffer);
            if (buffer.Length > 0)
            {
                // Bias the first byte to a valid marker so parsing gets past the first step.
                buffer[0] = (byte)random.Next(0, 0x13);
            }

            OnlyProtocolExceptions(buffer);
        }
    }

    [Fact]
    public void Parsers_TenThousandMutatedGoldens_ThrowOnlyProtocolExceptions()
    {
        var goldens = Amf0GoldenTests.Table.Values.Select(g => g.Bytes)
            .Concat(Amf3GoldenTests.Table.Values.Select(g => g.Bytes))
            .Concat(Amf0CaptureTests.Table.Values.Select(c => Hex(c.Hex)))
            .Where(b => b.Length < 4096)
            .ToArray();
        var random = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            var buffer = (byte[])goldens[random.Next(goldens.Length)].Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                buffer[random.Next(buffer.Length)] = (byte)random.Next(256);
            }

            OnlyProtocolExceptions(buffer);
        }
    }

    [Fact]
    public void Parsers_CommittedCrashers_ThrowOnlyProtocolExceptions()
    {
        var files = Directory.GetFiles(DataPath("amf-crashers"), "*.bin");

        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            OnlyProtocolExceptions(File.ReadAllBytes(file));
        }
    }

    public static TheoryData<string, byte[]> DepthBombs => new()
    {
        { "AMF0 objects", Concat(Enumerable.Repeat(Hex("03 0001 61"), 10_000).SelectMany(b => b).ToArray()) },
        { "AMF0 ECMA arrays", Concat(Enumerable.Repeat(Hex("08 00000001 0001 61"), 10_000).SelectMany(b => b).ToArray()) },
        { "AMF0 strict arrays", Concat(Enumerable.Repeat(Hex("0A 00000001"), 10_000).SelectMany(b => b).ToArray(), [0x05]) },
        { "AMF0 typed objects", Concat(Enumerable.Repeat(Hex("10 0001 43 0001 61"), 10_000).SelectMany(b => b).ToArray()) },
        { "AMF3 arrays", Concat([0x11], Enumerable.Repeat(Hex("09 03 01"), 10_000).SelectMany(b => b).ToArray(), [0x01]) },
        { "AMF3 objects", Concat(Hex("11 0A 0B 01 03 61"), Enumerable.Repeat(Hex("0A 01 00"), 10_000).SelectMany(b => b).ToArray()) },
        { "AMF3 object vectors", Concat([0x11], Enumerable.Repeat(Hex("10 03 00 01"), 10_000).SelectMany(b => b).ToArray(), [0x01]) },
        { "AMF3 dictionaries", Concat([0x11], Enumerable.Repeat(Hex("11 03 00 01"), 10_000).SelectMany(b => b).ToArray(), [0x01, 0x01]) },
    };

    [Theory]
    [MemberData(nameof(DepthBombs))]
    public void ReadAll_TenThousandNestedValues_ThrowsDepthExceeded(string kind, byte[] bomb)
    {
        var exception = ThrowsProtocol(() => Amf0.ReadAll(bomb));

        Assert.True(exception.Reason == RtmpErrorReason.AmfDepthExceeded, kind);
    }

    [Theory]
    [InlineData(32)]
    [InlineData(4)]
    public void ReadAll_NestingAtMaxDepth_SucceedsAndOneMoreThrows(int maxDepth)
    {
        var limits = new AmfLimits { MaxDepth = maxDepth };
        static byte[] Nested(int depth) => Concat(Enumerable.Repeat(Hex("0A 00000001"), depth).SelectMany(b => b).ToArray(), [0x05]);

        Assert.Single(Amf0.ReadAll(Nested(maxDepth), limits));
        Assert.Equal(RtmpErrorReason.AmfDepthExceeded, ThrowsProtocol(() => Amf0.ReadAll(Nested(maxDepth + 1), limits)).Reason);
    }

    [Fact]
    public void ReadAll_MoreValuesThanMaxValues_ThrowsMalformed()
    {
        var tenNulls = Concat(Hex("0A 0000000A"), Enumerable.Repeat((byte)0x05, 10).ToArray());

        Assert.Equal(11, Amf0.ReadAll(tenNulls, new AmfLimits { MaxValues = 11 }).Cast<List<object?>>().Single().Count + 1);
        Assert.Equal(RtmpErrorReason.AmfMalformed, ThrowsProtocol(() => Amf0.ReadAll(tenNulls, new AmfLimits { MaxValues = 10 })).Reason);
    }

    public static TheoryData<string, string> HugeDeclaredLengths => new()
    {
        { "AMF0 string length 0xFFFF", "02 FFFF" },
        { "AMF0 long string length 0xFFFFFFFF", "0C FFFFFFFF" },
        { "AMF0 strict array count 0xFFFFFFFF", "0A FFFFFFFF" },
        { "AMF0 XML length 0xFFFFFFFF", "0F FFFFFFFF" },
        { "AMF0 property name length 0xFFFF", "03 FFFF" },
        { "AMF0 typed object class name length 0xFFFF", "10 FFFF" },
        { "AMF3 string length 0x0FFFFFFF", "11 06 FFFFFFFF" },
        { "AMF3 byte array length 0x0FFFFFFF", "11 0C FFFFFFFF" },
        { "AMF3 array dense count 0x0FFFFFFF", "11 09 FFFFFFFF" },
        { "AMF3 int vector count 0x0FFFFFFF", "11 0D FFFFFFFF 00" },
        { "AMF3 double vector count 0x0FFFFFFF", "11 0F FFFFFFFF 00" },
        { "AMF3 object vector count 0x0FFFFFFF", "11 10 FFFFFFFF 00 01" },
        { "AMF3 dictionary count 0x0FFFFFFF", "11 11 FFFFFFFF 00" },
        { "AMF3 sealed member count 0x01FFFFFF", "11 0A FFFFFFF3 01" },
        { "AMF3 XML length 0x0FFFFFFF", "11 0B FFFFFFFF" },
    };

    [Theory]
    [MemberData(nameof(HugeDeclaredLengths))]
    public void ReadAll_DeclaredLengthBeyondTwentyByteMessage_ThrowsLengthExceedsWithoutAllocating(string what, string header)
    {
        var message = new byte[20];
        Hex(header).CopyTo(message, 0);
        _ = Record.Exception(() => Amf0.ReadAll(message)); // warm up the code paths

        var before = GC.GetAllocatedBytesForCurrentThread();
        var exception = ThrowsProtocol(() => Amf0.ReadAll(message));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(exception.Reason == RtmpErrorReason.AmfLengthExceedsMessage, $"{what}: {exception.Reason} {exception.Message}");
        Assert.True(allocated < 64 * 1024, $"{what}: allocated {allocated} bytes");
    }

    [Theory]
    [InlineData("04", "movieclip, reserved, not supported")]
    [InlineData("0D", "unsupported")]
    [InlineData("0E", "recordset, reserved, not supported")]
    [InlineData("09", "object-end outside an object")]
    [InlineData("12", "beyond the last marker")]
    [InlineData("FF", "beyond the last marker")]
    [InlineData("07 0000", "reference with an empty table")]
    [InlineData("02 0001 FF", "invalid UTF-8")]
    [InlineData("0B 7FF0000000000000 0000", "date +infinity")]
    [InlineData("0B 7FF8000000000000 0000", "date NaN")]
    public void ReadAll_UnknownMarkerOrBadValue_ThrowsMalformed(string hex, string why)
    {
        var exception = ThrowsProtocol(() => Amf0.ReadAll(Hex(hex)));

        Assert.True(exception.Reason == RtmpErrorReason.AmfMalformed, why);
    }

    private static readonly byte[] Amf3Connect = Hex(
        "02 0007 636F6E6E656374 00 3FF0000000000000 11 0A 0B 01 07 617070 06 09 6C697665 01");

    [Fact]
    public void ReadAmf3Command_FormatByteZero_IsSkipped()
    {
        var values = Amf0.ReadAmf3Command(Concat([0x00], Amf3Connect));

        Equal(new List<object?> { "connect", 1.0, new AmfObject { { "app", "live" } } }, values);
    }

    [Fact]
    public void ReadAmf3Command_FormatByteAbsent_ReadsFromTheFirstValue()
    {
        Equal(Amf0.ReadAmf3Command(Concat([0x00], Amf3Connect)), Amf0.ReadAmf3Command(Amf3Connect));
    }

    [Theory]
    [InlineData("03 0000 09")]
    [InlineData("01")]
    public void ReadAmf3Command_OtherFirstByte_ThrowsMalformed(string hex)
    {
        Assert.Equal(RtmpErrorReason.AmfMalformed, ThrowsProtocol(() => Amf0.ReadAmf3Command(Hex(hex))).Reason);
    }

    [Fact]
    public void ReadAmf3Command_Empty_ReturnsNoValues()
    {
        Assert.Empty(Amf0.ReadAmf3Command([]));
    }

    [Fact]
    public void Write_StringOver65535Utf8Bytes_IsLongString()
    {
        // 21846 three-byte characters = 65538 UTF-8 bytes, though only 21846 UTF-16 chars.
        var text = new string('\u20AC', 21846);

        var bytes = WriteAmf0(text);

        Assert.Equal("0C00010002", Convert.ToHexString(bytes, 0, 5));
        Assert.Equal(text, Amf0.ReadAll(bytes).Single());
        Assert.Equal(65538, Encoding.UTF8.GetByteCount(text));
    }

    /// <summary>
    /// AMF3 references that stand for more than <see cref="AmfLimits.MaxReferencedBytes"/>: each
    /// costs 1-2 bytes, but the onMetaData relay writes it out in full (see MetadataRelayTests).
    /// </summary>
    public static TheoryData<string, byte[]> ReferenceBombs
    {
        get
        {
            // A 1000-byte string, XML text or sealed member name, then 1100 references to it: 1.1 MB.
            var name = Concat(Hex("8F 51"), Enumerable.Repeat((byte)'n', 1000).ToArray()); // U29 2001 = 1000 << 1 | 1
            static byte[] Times(string hex, int count) => Enumerable.Repeat(Hex(hex), count).SelectMany(b => b).ToArray();
            return new()
            {
                // array of 1101 dense strings: the first inline, the rest string reference 0
                { "string references", Concat(Hex("09 91 1B 01 06"), name, Times("06 00", 1100)) },
                // array of 1101 dense XML values: the first inline (object table 1), the rest object reference 1
                { "XML references", Concat(Hex("09 91 1B 01 0B"), name, Times("0B 02", 1100)) },
                // array of 1101 objects of class "" with one sealed member named by the string: traits
                // inline first (U29O-traits 0x13: 1 sealed, not dynamic), then traits reference 0 (0x01)
                { "traits references", Concat(Hex("09 91 1B 01 0A 13 01"), name, Hex("01"), Times("0A 01 01", 1100)) },
            };
        }
    }

    [Theory]
    [MemberData(nameof(ReferenceBombs))]
    public void Read_Amf3ReferencesStandingForMoreThanTheLimit_ThrowsReferencesExceeded(string kind, byte[] amf3)
    {
        var exception = ThrowsProtocol(() => Amf3.Read(amf3));

        Assert.True(exception.Reason == RtmpErrorReason.AmfReferencesExceeded, $"{kind}: {exception.Reason}");
        Assert.Single(Amf3.ReadAll(amf3, new AmfLimits { MaxReferencedBytes = 1100 * 1000 }));
    }

    [Fact]
    public void Read_Amf3ReferencesUpToTheLimit_AreRead()
    {
        // "abc" inline, then three references to it: 9 bytes referenced.
        var amf3 = Hex("09 09 01 06 07 616263 06 00 06 00 06 00");

        Assert.Equal(4, ((List<object?>)Amf3.Read(amf3, new AmfLimits { MaxReferencedBytes = 9 })!).Count);
        Assert.Equal(
            RtmpErrorReason.AmfReferencesExceeded,
            ThrowsProtocol(() => Amf3.Read(amf3, new AmfLimits { MaxReferencedBytes = 8 })).Reason);
    }
}
