using System.Text;
using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Commands;
using static RtmpGateway.Rtmp.Tests.AmfTestSupport;

namespace RtmpGateway.Rtmp.Tests;

/// <summary>
/// The server relays a publisher's onMetaData to its viewers by writing the values it read with
/// <see cref="CommandWriter.Data"/>. Those values come from the peer, so writing them must neither
/// fail on what the reader accepted nor grow without bound: AMF3 references stand for more than
/// their bytes. Found while writing the fuzz targets' onMetaData path (tests/RtmpGateway.Fuzz).
/// </summary>
public sealed class MetadataRelayTests
{
    /// <summary>An RTMP type 15 body: format byte 0, "@setDataFrame", "onMetaData", then AMF3 after 0x11.</summary>
    private static byte[] Amf3Metadata(params byte[][] amf3Object) =>
        Concat([0x00], Hex("02 000D"), "@setDataFrame"u8.ToArray(), Hex("02 000A"), "onMetaData"u8.ToArray(), [0x11], Concat(amf3Object));

    /// <summary>U29 (AMF3 1.3.1) of up to 28 bits.</summary>
    private static byte[] U29(int value) => value switch
    {
        < 0x80 => [(byte)value],
        < 0x4000 => [(byte)(0x80 | (value >> 7)), (byte)(value & 0x7F)],
        < 0x20_0000 => [(byte)(0x80 | (value >> 14)), (byte)(0x80 | ((value >> 7) & 0x7F)), (byte)(value & 0x7F)],
        _ => [(byte)(0x80 | (value >> 22)), (byte)(0x80 | ((value >> 15) & 0x7F)), (byte)(0x80 | ((value >> 8) & 0x7F)), (byte)value],
    };

    /// <summary>UTF-8-vr of an inline string: U29S-value = byte length &lt;&lt; 1 | 1.</summary>
    private static byte[] InlineString(string text) => Concat(U29((Encoding.UTF8.GetByteCount(text) << 1) | 1), Encoding.UTF8.GetBytes(text));

    private static AmfObject ReadMetadata(byte[] body, AmfLimits? limits = null) => (AmfObject)Amf0.ReadAmf3Command(body, limits)[2]!;

    [Fact]
    public void Data_Amf3StringReferencesExpandingPastAnRtmpMessage_ThrowsMessageTooLarge()
    {
        // One 60 000-byte string, then 400 members whose name and value are references to the
        // table (3 bytes each): 61 KB of AMF3 that AMF0, which has no string references, spells
        // out as 24 MB, more than the 16 MiB - 1 an RTMP message can carry. The reader refuses
        // this with its default limits (AmfRobustnessTests); raised, the writer's cap is the guard.
        string big = new('x', 60_000);
        var members = new List<byte[]> { Hex("0A 0B 01"), InlineString("k"), Hex("06"), InlineString(big) };
        for (int i = 0; i < 400; i++)
        {
            members.Add(Hex("00 06 02")); // name: string reference 0 ("k"); value: string reference 1 (big)
        }

        members.Add([0x01]);
        byte[] body = Amf3Metadata([.. members]);
        Assert.Equal(RtmpErrorReason.AmfReferencesExceeded, ThrowsProtocol(() => ReadMetadata(body)).Reason);
        AmfObject metadata = ReadMetadata(body, new AmfLimits { MaxReferencedBytes = int.MaxValue });

        RtmpProtocolException ex = ThrowsProtocol(() => CommandWriter.Data("onMetaData", metadata));

        Assert.Equal(RtmpErrorReason.MessageTooLarge, ex.Reason);
    }

    [Fact]
    public void Data_Amf3ObjectReferencesPastTheAmf0ReferenceTable_ThrowsMessageTooLarge()
    {
        // AMF0 references address 65 536 complex objects (U16). Past them, an AMF3 object referred
        // to twice is written twice; nested 22 deep that is 2^22 copies (46 MB) from 197 KB.
        const int Fillers = 65_536;
        const int Depth = 22;
        var parts = new List<byte[]>
        {
            Hex("0A 0B 01"),                 // the metadata object (object table 0; traits 0: dynamic, no sealed members)
            InlineString("l"),               // member "l" (string table 0) =
            Hex("09"), U29((Fillers << 1) | 1), Hex("01"), // a dense array (object table 1) of 65 536
        };
        for (int i = 0; i < Fillers; i++)
        {
            parts.Add(Hex("0A 01 01"));      // empty objects with traits 0 (object table 2 ..)
        }

        parts.Add(InlineString("x"));        // member "x" (string table 1) = X0
        int firstX = 2 + Fillers;
        for (int d = 0; d < Depth; d++)
        {
            // X(d) = { a: X(d+1) inline, b: X(d+1) by reference }; names "a", "b" are string table 2, 3.
            parts.Add(Hex("0A 01"));
            parts.Add(d == 0 ? InlineString("a") : Hex("04"));
        }

        parts.Add(Hex("01"));                // the deepest X's "a" is null
        for (int d = Depth - 1; d >= 0; d--)
        {
            parts.Add(d == Depth - 1 ? InlineString("b") : Hex("06"));
            parts.Add(d == Depth - 1 ? Hex("01") : Concat(Hex("0A"), U29((firstX + d + 1) << 1)));
            parts.Add(Hex("01"));            // end of X(d)'s dynamic members
        }

        parts.Add(Hex("01"));                // end of the metadata object
        AmfObject metadata = ReadMetadata(Amf3Metadata([.. parts]));

        RtmpProtocolException ex = ThrowsProtocol(() => CommandWriter.Data("onMetaData", metadata));

        Assert.Equal(RtmpErrorReason.MessageTooLarge, ex.Reason);
    }

    [Fact]
    public void Data_Amf3MemberNameLongerThanAmf0Allows_ReadsBackWithTheName()
    {
        // AMF3 names are up to 2^28 bytes, AMF0 property names up to 65 535 (U16 length).
        string name = new('n', 70_000);
        byte[] amf3 = Concat(Hex("0A 0B 01"), InlineString(name), Hex("04 05"), Hex("01"));
        AmfObject metadata = ReadMetadata(Amf3Metadata(amf3));

        byte[] body = CommandWriter.Data("onMetaData", metadata);

        // On the wire: the AMF0 string, then the avmplus-object marker (AMF0 2.20) and the object in
        // AMF3, byte for byte as the publisher sent it.
        Assert.Equal(Concat(Hex("02 000A"), "onMetaData"u8.ToArray(), [0x11], amf3), body);
        var relayed = (AmfObject)Amf0.ReadAll(body)[1]!;
        Assert.Equal(5, relayed[name]);
    }

    [Fact]
    public void Data_Amf3ClassNameLongerThanAmf0Allows_ReadsBackWithTheClassName()
    {
        string className = new('c', 70_000);
        // U29O-traits: 0 sealed members, dynamic, inline (0x0B), then the class name.
        byte[] amf3 = Concat(Hex("0A 0B"), InlineString(className), InlineString("w"), Hex("04 07"), Hex("01"));
        AmfObject metadata = ReadMetadata(Amf3Metadata(amf3));

        byte[] body = CommandWriter.Data("onMetaData", metadata);

        Assert.Equal(Concat(Hex("02 000A"), "onMetaData"u8.ToArray(), [0x11], amf3), body);
        var relayed = (AmfObject)Amf0.ReadAll(body)[1]!;
        Assert.Equal(className, relayed.ClassName);
        Assert.Equal(7, relayed["w"]);
    }
}
