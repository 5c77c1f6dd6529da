namespace RtmpGateway.Rtmp.Amf;

/// <summary>State shared by every value of one top-level message: limits and reference tables.</summary>
internal sealed class AmfReadContext
{
    private int _values;

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
internal sealed record Amf3Traits(string ClassName, bool IsDynamic, List<string> SealedMembers);
