using System.Text;

namespace RtmpGateway.Rtmp.Amf;

/// <summary>State shared by every value of one top-level message: limits and reference tables.</summary>
internal sealed class AmfReadContext
{
    private int _values;
    private long _referencedBytes;

    public AmfReadContext(AmfLimits? limits)
    {
        Limits = limits ?? AmfLimits.Default;
    }

    public AmfLimits Limits { get; }

    /// <summary>AMF0 complex objects (object, typed object, ECMA array, strict array) in order of appearance.</summary>
    public List<object> Amf0References { get; } = [];

    /// <summary>
    /// AMF3 reference tables, shared by every avmplus-object (0x11) value of one AMF0 message, as
    /// the Flash runtime does, and reset with each top-level message.
    /// </summary>
    public List<string> Amf3Strings { get; } = [];

    public List<object> Amf3Objects { get; } = [];

    public List<Amf3Traits> Amf3Traits { get; } = [];

    public void CountValue()
    {
        if (++_values > Limits.MaxValues)
        {
            throw new RtmpProtocolException(
                RtmpErrorReason.AmfMalformed, $"AMF message holds more than {Limits.MaxValues} values");
        }
    }

    /// <summary>Adds what one AMF3 reference stands for to the message's total (see <see cref="AmfLimits.MaxReferencedBytes"/>).</summary>
    public void CountReferenced(long bytes)
    {
        _referencedBytes += bytes;
        if (_referencedBytes > Limits.MaxReferencedBytes)
        {
            throw new RtmpProtocolException(
                RtmpErrorReason.AmfReferencesExceeded, $"AMF3 references in one message stand for more than {Limits.MaxReferencedBytes} bytes");
        }
    }

    public void EnterComplex(int depth)
    {
        if (depth >= Limits.MaxDepth)
        {
            throw new RtmpProtocolException(
                RtmpErrorReason.AmfDepthExceeded, $"AMF values nested deeper than {Limits.MaxDepth}");
        }
    }
}

/// <summary>AMF3 traits: class name, dynamic flag and sealed member names (AMF3 3.12).</summary>
internal sealed record Amf3Traits(string ClassName, bool IsDynamic, List<string> SealedMembers)
{
    /// <summary>The UTF-8 bytes of the class and sealed member names: what a traits reference stands for.</summary>
    public long NameBytes { get; } =
        Encoding.UTF8.GetByteCount(ClassName) + SealedMembers.Sum(name => (long)Encoding.UTF8.GetByteCount(name));
}
