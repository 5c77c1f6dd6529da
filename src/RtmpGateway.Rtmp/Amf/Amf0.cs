using System.Buffers;
using System.Collections;

namespace RtmpGateway.Rtmp.Amf;

/// <summary>
/// AMF0 (Adobe "Action Message Format -- AMF 0"): what RTMP command (type 20) and data (type 18)
/// messages carry. Reference tables, AMF0 and AMF3 alike, live for one message.
/// </summary>
public static class Amf0
{
    /// <summary>Reads every value of a whole message body, e.g. command name, transaction id, command object, arguments.</summary>
    public static List<object?> ReadAll(ReadOnlySpan<byte> body, AmfLimits? limits = null)
    {
        var reader = new AmfSpanReader(body);
        var context = new AmfReadContext(limits);
        var values = new List<object?>();
        while (!reader.IsAtEnd)
        {
            values.Add(Amf0Reader.ReadValue(ref reader, context, 0));
        }

        return values;
    }

    /// <summary>
    /// Reads the body of an RTMP AMF3 command (type 17) or AMF3 data (type 15) message: AMF0
    /// values, any of which may switch to AMF3 with the avmplus-object marker (0x11), behind one
    /// leading format byte.
    /// <para>
    /// The format byte is 0x00 from Flash Player and the servers that answer it, and is then
    /// skipped. Some encoders leave it out and start directly with the command name; a first
    /// byte of 0x02 (AMF0 string) or 0x11 (avmplus-object) is therefore taken as the first value.
    /// Any other first byte cannot begin a command or data message and is refused.
    /// </para>
    /// </summary>
    public static List<object?> ReadAmf3Command(ReadOnlySpan<byte> body, AmfLimits? limits = null)
    {
        if (body.IsEmpty)
        {
            return [];
        }

        return body[0] switch
        {
            0x00 => ReadAll(body[1..], limits),
            Amf0Marker.String or Amf0Marker.AvmPlusObject => ReadAll(body, limits),
            var other => throw new RtmpProtocolException(
                RtmpErrorReason.AmfMalformed, $"AMF3 message starts with 0x{other:X2}, neither the format byte 0x00 nor a value"),
        };
    }

    /// <summary>Writes one value, dispatching on the value model (see <see cref="AmfObject"/>).</summary>
    /// <exception cref="ArgumentException">The value has no AMF0 (or AMF3) encoding.</exception>
    public static void Write(IBufferWriter<byte> output, object? value) => new Amf0Writer(output).WriteValue(value);

    /// <summary>Writes the values of one message; complex objects repeated across them are sent by reference.</summary>
    public static void WriteAll(IBufferWriter<byte> output, params ReadOnlySpan<object?> values)
    {
        var writer = new Amf0Writer(output);
        foreach (var value in values)
        {
            writer.WriteValue(value);
        }
    }

    public static void WriteNumber(IBufferWriter<byte> output, double value) => new Amf0Writer(output).WriteNumber(value);

    public static void WriteBoolean(IBufferWriter<byte> output, bool value) => new Amf0Writer(output).WriteBoolean(value);

    /// <summary>A string, or a long string when its UTF-8 form is longer than 65535 bytes.</summary>
    public static void WriteString(IBufferWriter<byte> output, string value) => new Amf0Writer(output).WriteString(value);

    public static void WriteNull(IBufferWriter<byte> output) => output.WriteByte(Amf0Marker.Null);

    public static void WriteUndefined(IBufferWriter<byte> output) => output.WriteByte(Amf0Marker.Undefined);

    /// <summary>An anonymous object, or a typed object when <see cref="AmfObject.ClassName"/> is set.</summary>
    public static void WriteObject(IBufferWriter<byte> output, AmfObject value) => new Amf0Writer(output).WriteObject(value);

    public static void WriteEcmaArray(IBufferWriter<byte> output, AmfEcmaArray value) => new Amf0Writer(output).WriteEcmaArray(value);

    public static void WriteStrictArray(IBufferWriter<byte> output, IList value) => new Amf0Writer(output).WriteStrictArray(value);

    public static void WriteDate(IBufferWriter<byte> output, DateTimeOffset value) => new Amf0Writer(output).WriteDate(value);
}
