namespace RtmpGateway.Rtmp.Amf;

/// <summary>The ActionScript <c>undefined</c> value (AMF0 marker 0x06, AMF3 marker 0x00).</summary>
public sealed class AmfUndefined
{
    private AmfUndefined()
    {
    }

    public static AmfUndefined Value { get; } = new();

    public override string ToString() => "undefined";
}

/// <summary>
/// An XML document carried as text: AMF0 xml-document-type (0x0F), AMF3 XMLDocument (0x07) or
/// AMF3 XML (0x0B). <see cref="IsLegacyDocument"/> tells AMF3's two kinds apart so that a value
/// read can be written back to the same bytes; AMF0 has only one kind.
/// </summary>
public sealed record AmfXml(string Text)
{
    /// <summary>True for the AMF3 flash.xml.XMLDocument type (0x07); false for AMF3 XML (0x0B).</summary>
    public bool IsLegacyDocument { get; init; }
}

/// <summary>Bounds the reader puts on one message, whatever the message declares.</summary>
public sealed class AmfLimits
{
    public static AmfLimits Default { get; } = new();

    /// <summary>
    /// How many complex values (objects, arrays, vectors, dictionaries) may sit inside each other.
    /// 32 is far above what any RTMP command or metadata uses (2-3) and keeps recursion shallow.
    /// </summary>
    public int MaxDepth { get; init; } = 32;

    /// <summary>
    /// How many values one message may decode to in total. Each value costs at least one byte of
    /// input but tens of bytes of managed memory; 100 000 bounds that growth for a large message.
    /// </summary>
    public int MaxValues { get; init; } = 100_000;

    /// <summary>
    /// How many bytes the AMF3 references of one message may stand for: strings and XML sent by
    /// reference, and the class and sealed member names of objects sent with a traits reference.
    /// Each costs the peer one or two bytes, but whatever writes the values again in AMF0 (the
    /// onMetaData relay) spells it out in full. Commands and metadata repeat a few hundred bytes;
    /// 1 MiB keeps what a message can make us write close to its own size.
    /// </summary>
    public int MaxReferencedBytes { get; init; } = 1024 * 1024;
}
