using RtmpGateway.Rtmp.Amf;
using static RtmpGateway.Rtmp.Tests.AmfTestSupport;

namespace RtmpGateway.Rtmp.Tests;

/// <summary>
/// AMF0 golden encodings. The AMF0 specification gives no byte examples, so these were derived by
/// hand from its grammar (section per row), never produced by our writer. One table drives the
/// read test, the write test and the truncated-prefix test. Rows marked read-only are valid but
/// non-canonical encodings the writer does not produce.
/// </summary>
public sealed class Amf0GoldenTests
{
    public sealed record Golden(byte[] Bytes, Func<object?> Expected, bool ReadOnly = false);

    private static readonly DateTimeOffset Billennium = new(2001, 9, 9, 1, 46, 40, TimeSpan.Zero); // 1e12 ms

    public static readonly Dictionary<string, Golden> Table = new()
    {
        // 2.2 number-type = number-marker DOUBLE (IEEE-754, network byte order)
        ["number 1.5"] = new(Hex("00 3FF8000000000000"), () => 1.5),
        ["number 0"] = new(Hex("00 0000000000000000"), () => 0.0),
        ["number -2000"] = new(Hex("00 C09F400000000000"), () => -2000.0),
        // 2.3 boolean-type = boolean-marker U8 ; 0 is false, <> 0 is true
        ["boolean true"] = new(Hex("01 01"), () => true),
        ["boolean false"] = new(Hex("01 00"), () => false),
        ["boolean 0x02 is true"] = new(Hex("01 02"), () => true, ReadOnly: true),
        // 2.4 string-type = string-marker UTF-8 ; UTF-8 = U16 *(UTF8-char)
        ["string empty"] = new(Hex("02 0000"), () => ""),
        ["string live"] = new(Hex("02 0004 6C697665"), () => "live"),
        ["string e-acute (2 UTF-8 bytes)"] = new(Hex("02 0002 C3A9"), () => "\u00e9"),
        // 2.5 anonymous-object-type = object-marker *(object-property); object-end = 00 00 09
        ["object empty"] = new(Hex("03 0000 09"), () => new AmfObject()),
        ["object a=1"] = new(Hex("03 0001 61 00 3FF0000000000000 0000 09"), () => new AmfObject { { "a", 1.0 } }),
        ["object nested"] = new(
            Hex("03 0001 6F 03 0001 62 01 01 0000 09 0000 09"),
            () => new AmfObject { { "o", new AmfObject { { "b", true } } } }),
        ["object with empty-named property"] = new(Hex("03 0000 05 0000 09"), () => new AmfObject { { "", null } }),
        // 2.7 null-type, 2.8 undefined-type
        ["null"] = new(Hex("05"), () => null),
        ["undefined"] = new(Hex("06"), () => AmfUndefined.Value),
        // 2.10 ecma-array-type = associative-count *(object-property), ended by object-end-type
        ["ecma array k=v"] = new(
            Hex("08 00000001 0001 6B 02 0001 76 0000 09"),
            () => new AmfEcmaArray { { "k", "v" } }),
        ["ecma array count 0 but one property"] = new(
            Hex("08 00000000 0001 6B 02 0001 76 0000 09"),
            () => new AmfEcmaArray { { "k", "v" } },
            ReadOnly: true),
        // 2.12 strict-array-type = array-count *(value-type)
        ["strict array"] = new(
            Hex("0A 00000003 00 3FF0000000000000 02 0001 61 05"),
            () => new List<object?> { 1.0, "a", null }),
        ["strict array empty"] = new(Hex("0A 00000000"), () => new List<object?>()),
        // 2.13 date-type = date-marker DOUBLE time-zone ; time-zone = S16, should be 0x0000
        ["date 1e12 ms"] = new(Hex("0B 426D1A94A2000000 0000"), () => Billennium),
        ["date with time-zone -60 (ignored)"] = new(Hex("0B 426D1A94A2000000 FFC4"), () => Billennium, ReadOnly: true),
        // 2.14 long-string-type = long-string-marker UTF-8-long ; UTF-8-long = U32 *(UTF8-char)
        ["long string 65536 bytes"] = new(
            Concat(Hex("0C 00010000"), Enumerable.Repeat((byte)'a', 65536).ToArray()),
            () => new string('a', 65536)),
        ["long string short"] = new(Hex("0C 00000003 616263"), () => "abc", ReadOnly: true),
        // 2.17 xml-document-type = xml-document-marker UTF-8-long
        ["xml document"] = new(Hex("0F 00000007 3C613E3C2F613E"), () => new AmfXml("<a></a>")),
        // 2.18 typed-object-type = typed-object-marker class-name *(object-property)
        ["typed object"] = new(
            Hex("10 0001 43 0001 78 01 01 0000 09"),
            () => new AmfObject { ClassName = "C", ["x"] = true }),
        // 2.9 reference-type = reference-marker U16: the strict array is complex object 0, the object 1.
        ["reference to an earlier object"] = new(
            Hex("0A 00000002 03 0001 61 00 3FF0000000000000 0000 09 07 0001"),
            () =>
            {
                var shared = new AmfObject { { "a", 1.0 } };
                return new List<object?> { shared, shared };
            }),
        // 3.1 avmplus-object-type = avmplus-object-marker value-type (AMF3 byte array)
        ["avmplus byte array"] = new(Hex("11 0C 07 010203"), () => new byte[] { 1, 2, 3 }),
        ["avmplus string"] = new(Hex("11 06 07 616263"), () => "abc", ReadOnly: true),
        ["avmplus integer"] = new(Hex("11 04 05"), () => 5, ReadOnly: true),
    };

    public static TheoryData<string> Names => [.. Table.Keys];

    public static TheoryData<string> WritableNames => [.. Table.Where(row => !row.Value.ReadOnly).Select(row => row.Key)];

    [Theory]
    [MemberData(nameof(Names))]
    public void ReadAll_Golden_ReturnsExpectedValue(string name)
    {
        var golden = Table[name];

        var values = Amf0.ReadAll(golden.Bytes);

        Equal(new List<object?> { golden.Expected() }, values);
    }

    [Theory]
    [MemberData(nameof(WritableNames))]
    public void Write_GoldenValue_ProducesGoldenBytes(string name)
    {
        var golden = Table[name];

        Assert.Equal(Convert.ToHexString(golden.Bytes), Convert.ToHexString(WriteAmf0(golden.Expected())));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ReadAll_EveryTruncatedPrefix_ThrowsProtocolException(string name)
    {
        var golden = Table[name];

        AllPrefixesFailOrYieldLeadingValues(golden.Bytes, [golden.Expected()], bytes => Amf0.ReadAll(bytes));
    }

    [Fact]
    public void ReadAll_Reference_ResolvesToTheSameInstance()
    {
        var values = Amf0.ReadAll(Table["reference to an earlier object"].Bytes);

        var list = Assert.IsType<List<object?>>(Assert.Single(values));
        Assert.Same(list[0], list[1]);
    }

    [Fact]
    public void ReadAll_SelfReference_ResolvesToTheObjectBeingRead()
    {
        // object { self: reference 0 }
        var values = Amf0.ReadAll(Hex("03 0004 73656C66 07 0000 0000 09"));

        var obj = Assert.IsType<AmfObject>(Assert.Single(values));
        Assert.Same(obj, obj["self"]);
        Assert.Equal("0300047365 6C6607000000 0009".Replace(" ", "", StringComparison.Ordinal), Convert.ToHexString(WriteAmf0(obj)));
    }

    [Fact]
    public void WriteAll_SameObjectInTwoValues_SecondIsReference()
    {
        var shared = new AmfObject();

        Assert.Equal("030000090700 00".Replace(" ", "", StringComparison.Ordinal), Convert.ToHexString(WriteAmf0(shared, shared)));
    }

    [Fact]
    public void Write_IntAndUInt_AreNumbers()
    {
        Assert.Equal("004014000000000000" + "0041EFFFFFFFE00000", Convert.ToHexString(WriteAmf0(5, uint.MaxValue)));
    }

    [Fact]
    public void Write_EcmaArrayWithDensePart_WritesOrdinalKeysFirst()
    {
        var array = new AmfEcmaArray { { "k", true } };
        array.Dense.Add(null);

        Assert.Equal("0800000002" + "000130" + "05" + "00016B" + "0101" + "000009", Convert.ToHexString(WriteAmf0(array)));
    }

    [Fact]
    public void Write_UnsupportedType_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => WriteAmf0(new object()));
    }

    [Fact]
    public void AmfObject_Helpers_ReturnNullWhenAbsentOrOfAnotherType()
    {
        var obj = new AmfObject { { "name", "live" }, { "n", 2.0 }, { "i", 3 } };

        Assert.Null(obj["missing"]);
        Assert.Equal("live", obj.GetString("name"));
        Assert.Null(obj.GetString("n"));
        Assert.Equal(2.0, obj.GetNumber("n"));
        Assert.Equal(3.0, obj.GetNumber("i"));
        Assert.Null(obj.GetNumber("name"));
        Assert.True(obj.TryGetValue("n", out var n));
        Assert.Equal(2.0, n);
        Assert.False(obj.TryGetValue("missing", out _));
    }
}
