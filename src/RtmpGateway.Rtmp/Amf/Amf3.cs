using System.Buffers;

namespace RtmpGateway.Rtmp.Amf;

/// <summary>
/// AMF3 (Adobe "AMF 3 Specification"). Each call is one context: its string, object and traits
/// reference tables start empty and are shared by every value of that call.
/// </summary>
public static class Amf3
{
    /// <summary>Reads exactly one value that spans all of <paramref name="data"/>.</summary>
    public static object? Read(ReadOnlySpan<byte> data, AmfLimits? limits = null)
    {
        var reader = new AmfSpanReader(data);
        var value = Amf3Reader.ReadValue(ref reader, new AmfReadContext(limits), 0);
        if (!reader.IsAtEnd)
        {
            throw new RtmpProtocolException(
                RtmpErrorReason.AmfMalformed, $"{reader.Remaining} bytes follow the AMF3 value");
        }

        return value;
    }

    /// <summary>Reads every value of <paramref name="data"/>, sharing the reference tables.</summary>
    public static List<object?> ReadAll(ReadOnlySpan<byte> data, AmfLimits? limits = null)
    {
        var reader = new AmfSpanReader(data);
        var context = new AmfReadContext(limits);
        var values = new List<object?>();
        while (!reader.IsAtEnd)
        {
            values.Add(Amf3Reader.ReadValue(ref reader, context, 0));
        }

        return values;
    }

    /// <summary>Writes one value with fresh reference tables.</summary>
    /// <exception cref="ArgumentException">The value has no AMF3 encoding.</exception>
    public static void Write(IBufferWriter<byte> output, object? value) => new Amf3Writer(output).WriteValue(value);

    /// <summary>Writes several values sharing one set of reference tables.</summary>
    public static void WriteAll(IBufferWriter<byte> output, params ReadOnlySpan<object?> values)
    {
        var writer = new Amf3Writer(output);
        foreach (var value in values)
        {
            writer.WriteValue(value);
        }
    }
}
