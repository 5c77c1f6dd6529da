using RtmpGateway.Rtmp.Amf;
using static RtmpGateway.Rtmp.Tests.AmfTestSupport;

namespace RtmpGateway.Rtmp.Tests;

/// <summary>
/// AMF3 golden encodings, derived by hand from the AMF3 specification (January 2013): the U29
/// table of 1.3.1 and the grammar of section 3 quoted per row. Never produced by our writer. One
/// table drives the read, write and truncated-prefix tests.
/// </summary>
public sealed class Amf3GoldenTests
{
    public sealed record Golden(byte[] Bytes, Func<object?> Expected, bool ReadOnly = false);

    private static AmfObject Dynamic(params (string Key, object? Value)[] members)
    {
        var obj = new AmfObject();
        foreach (var (key, value) in members)
        {
            obj.Add(key, value);
        }

        return obj;
    }

    public static readonly Dictionary<string, Golden> Table = new()
    {
        // 3.2-3.5 undefined, null, false, true: the marker alone.
        ["undefined"] = new(Hex("00"), () => AmfUndefined.Value),
        ["null"] = new(Hex("01"), () => null),
        ["false"] = new(Hex("02"), () => false),
        ["true"] = new(Hex("03"), () => true),
        // 3.6 integer-type = integer-marker U29; U29 boundaries from the table in 1.3.1.
        ["int 0"] = new(Hex("04 00"), () => 0),
        ["int 0x7F (1 byte max)"] = new(Hex("04 7F"), () => 0x7F),
        ["int 0x80 (2 bytes min)"] = new(Hex("04 8100"), () => 0x80),
        ["int 0x3FFF (2 bytes max)"] = new(Hex("04 FF7F"), () => 0x3FFF),
        ["int 0x4000 (3 bytes min)"] = new(Hex("04 818000"), () => 0x4000),
        ["int 0x1FFFFF (3 bytes max)"] = new(Hex("04 FFFF7F"), () => 0x1FFFFF),
        ["int 0x200000 (4 bytes min)"] = new(Hex("04 80C08000"), () => 0x200000),
        ["int 0x0FFFFFFF (largest positive)"] = new(Hex("04 BFFFFFFF"), () => 0x0FFFFFFF),
        ["int -1 (29-bit 0x1FFFFFFF)"] = new(Hex("04 FFFFFFFF"), () => -1),
        ["int -0x10000000 (smallest)"] = new(Hex("04 C0808000"), () => -0x10000000),
        // "if the value of a signed integer (int) is greater than or equal to 2^28 ... serialized
        // using the AMF 3 double type"; 2^28 = 0x41B0000000000000.
        ["2^28 as double"] = new(Hex("05 41B0000000000000"), () => 268435456.0),
        // 3.7 double-type = double-marker DOUBLE
        ["double 1.5"] = new(Hex("05 3FF8000000000000"), () => 1.5),
        // 3.8 string-type = string-marker UTF-8-vr; U29S-value = byte-length << 1 | 1
        ["string empty"] = new(Hex("06 01"), () => ""),
        ["string hello"] = new(Hex("06 0B 68656C6C6F"), () => "hello"),
        // U29S-ref = index << 1; "UTF-8-empty ... never sent by reference".
        ["string reference in array"] = new(
            Hex("09 09 01 06 05 6162 06 00 06 01 06 01"),
            () => new List<object?> { "ab", "ab", "", "" }),
        // 3.9 xml-doc-type, 3.13 xml-type: U29X-value = byte-length << 1 | 1
        ["xml document"] = new(Hex("07 0F 3C613E3C2F613E"), () => new AmfXml("<a></a>") { IsLegacyDocument = true }),
        ["xml"] = new(Hex("0B 0F 3C613E3C2F613E"), () => new AmfXml("<a></a>")),
        // 3.10 date-type = date-marker U29D-value(0x01) date-time(DOUBLE ms, UTC)
        ["date 1e12 ms"] = new(Hex("08 01 426D1A94A2000000"), () => new DateTimeOffset(2001, 9, 9, 1, 46, 40, TimeSpan.Zero)),
        // 3.11 array-type: U29A-value = dense count << 1 | 1, assoc part ended by UTF-8-empty, dense part.
        ["array dense"] = new(Hex("09 05 01 04 01 06 03 78"), () => new List<object?> { 1, "x" }),
        ["array empty"] = new(Hex("09 01 01"), () => new List<object?>()),
        ["array associative and dense"] = new(
            Hex("09 03 03 6B 03 01 01"),
            () =>
            {
                var array = new AmfEcmaArray { { "k", true } };
                array.Dense.Add(null);
                return array;
            }),
        // 3.12 object-type, U29O-traits = sealed count << 4 | dynamic << 3 | 0b011
        ["object anonymous dynamic"] = new(Hex("0A 0B 01 03 61 04 01 01"), () => Dynamic(("a", 1))),
        ["object sealed class P {x, y}"] = new(
            Hex("0A 23 03 50 03 78 03 79 04 01 04 02"),
            () => new AmfObject { ClassName = "P", Amf3SealedMemberCount = 2, Amf3IsDynamic = false, ["x"] = 1, ["y"] = 2 }),
        ["object dynamic class Q {x} + z"] = new(
            Hex("0A 1B 03 51 03 78 04 05 03 7A 02 01"),
            () => new AmfObject { ClassName = "Q", Amf3SealedMemberCount = 1, ["x"] = 5, ["z"] = false }),
        // U29O-traits-ref = traits index << 2 | 0b01: the second object reuses traits 0.
        ["object traits reference"] = new(
            Hex("09 05 01 0A 0B 01 03 61 04 01 01 0A 01 03 62 04 02 01"),
            () => new List<object?> { Dynamic(("a", 1)), Dynamic(("b", 2)) }),
        // U29O-ref = index << 1: the array is object 0, the object 1.
        ["object reference"] = new(
            Hex("09 05 01 0A 0B 01 03 61 04 01 01 0A 02"),
            () =>
            {
                var shared = Dynamic(("a", 1));
                return new List<object?> { shared, shared };
            }),
        // 3.14 bytearray-type = bytearray-marker U29B-value *(U8)
        ["byte array"] = new(Hex("0C 07 010203"), () => new byte[] { 1, 2, 3 }),
        // 3.15 vector types: U29V-value = count << 1 | 1, fixed-vector U8, items.
        ["vector int"] = new(Hex("0D 05 00 00000001 FFFFFFFF"), () => new AmfVector<int> { 1, -1 }),
        ["vector uint fixed"] = new(Hex("0E 03 01 FFFFFFFF"), () => new AmfVector<uint> { IsFixed = true }.With(uint.MaxValue)),
        ["vector double"] = new(Hex("0F 03 00 3FF8000000000000"), () => new AmfVector<double> { 1.5 }),
        ["vector object"] = new(Hex("10 05 00 03 2A 06 03 61 01"), () => new AmfVector<object?> { "a", null }),
        // 3.16 dictionary-type = dictionary-marker U29Dict-value weak-keys *(entry-key entry-value)
        ["dictionary"] = new(Hex("11 03 00 06 03 6B 04 01"), () => new AmfDictionary { { "k", 1 } }),
    };

    public static TheoryData<string> Names => [.. Table.Keys];

    public static TheoryData<string> WritableNames => [.. Table.Where(row => !row.Value.ReadOnly).Select(row => row.Key)];

    /// <summary>The vector object row's type name "*" cannot sit in a collection initializer.</summary>
    private static object? Expected(string name)
    {
        var value = Table[name].Expected();
        if (value is AmfVector<object?> vector)
        {
            vector.TypeName = "*";
        }

        return value;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Read_Golden_ReturnsExpectedValue(string name)
    {
        Equal(Expected(name), Amf3.Read(Table[name].Bytes));
    }

    [Theory]
    [MemberData(nameof(WritableNames))]
    public void Write_GoldenValue_ProducesGoldenBytes(string name)
    {
        Assert.Equal(Convert.ToHexString(Table[name].Bytes), Convert.ToHexString(WriteAmf3(Expected(name))));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Read_EveryTruncatedPrefix_ThrowsProtocolException(string name)
    {
        AllPrefixesFailOrYieldLeadingValues(Table[name].Bytes, [Expected(name)], bytes => [Amf3.Read(bytes)]);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ReadAll_AvmPlusMarkerInAmf0_ReadsTheSameValue(string name)
    {
        Equal(new List<object?> { Expected(name) }, Amf0.ReadAll(Concat([0x11], Table[name].Bytes)));
    }

    [Fact]
    public void Read_ObjectReference_ResolvesToTheSameInstance()
    {
        var list = Assert.IsType<List<object?>>(Amf3.Read(Table["object reference"].Bytes));

        Assert.Same(list[0], list[1]);
    }

    [Fact]
    public void Read_ExternalizableTraits_ThrowsMalformed()
    {
        // U29O-traits-ext: low bits 0b111; class name "C", then bytes only class C can read.
        var exception = ThrowsProtocol(() => Amf3.Read(Hex("0A 07 03 43 00")));

        Assert.Equal(RtmpErrorReason.AmfMalformed, exception.Reason);
    }

    [Theory]
    [InlineData("06 02", "string reference 1 with an empty table")]
    [InlineData("0A 02", "object reference 1 with an empty table")]
    [InlineData("0A 05", "traits reference 1 with an empty table")]
    [InlineData("12", "marker 0x12 is not defined")]
    [InlineData("0D 03 02 00000000", "fixed-vector flag 0x02")]
    [InlineData("04 01 01", "bytes after the value")]
    public void Read_Malformed_ThrowsMalformed(string hex, string why)
    {
        var exception = ThrowsProtocol(() => Amf3.Read(Hex(hex)));

        Assert.True(exception.Reason == RtmpErrorReason.AmfMalformed, why);
    }

    [Fact]
    public void Write_IntOutsideTwentyNineBits_IsDouble()
    {
        Assert.Equal("0541B0000000000000", Convert.ToHexString(WriteAmf3(0x10000000)));
        Assert.Equal("05C1B0000001000000", Convert.ToHexString(WriteAmf3(-0x10000001)));
    }

    [Fact]
    public void ReadAll_AvmPlusValuesInOneMessage_ShareTheStringTable()
    {
        // 11 06 07 "abc", then 11 06 00: string reference 0 = "abc" from the earlier value.
        var values = Amf0.ReadAll(Hex("11 06 07 616263 11 06 00"));

        Equal(new List<object?> { "abc", "abc" }, values);
    }
}
