namespace RtmpGateway.Rtmp.Amf;

/// <summary>Decodes AMF0 values (Adobe "Action Message Format -- AMF 0", 2006).</summary>
internal static class Amf0Reader
{
    public static object? ReadValue(ref AmfSpanReader reader, AmfReadContext context, int depth)
    {
        context.CountValue();
        var marker = reader.ReadByte();
        switch (marker)
        {
            case Amf0Marker.Number:
                // number-type = number-marker DOUBLE
                return reader.ReadDouble("a number");

            case Amf0Marker.Boolean:
                // boolean-type = boolean-marker U8 ; 0 is false, <> 0 is true
                return reader.ReadByte() != 0;

            case Amf0Marker.String:
                // string-type = string-marker UTF-8
                return ReadUtf8(ref reader, "string");

            case Amf0Marker.LongString:
                // long-string-type = long-string-marker UTF-8-long
                return reader.ReadUtf8(reader.ReadUInt32("a long string length"), "long string");

            case Amf0Marker.Null:
                return null;

            case Amf0Marker.Undefined:
                return AmfUndefined.Value;

            case Amf0Marker.Object:
            {
                // anonymous-object-type = object-marker *(object-property)
                context.EnterComplex(depth);
                var obj = new AmfObject();
                context.Amf0References.Add(obj);
                ReadProperties(ref reader, context, obj, depth);
                return obj;
            }

            case Amf0Marker.TypedObject:
            {
                // typed-object-type = object-marker class-name *(object-property)
                // class-name = UTF-8
                context.EnterComplex(depth);
                var obj = new AmfObject { ClassName = ReadUtf8(ref reader, "class name") };
                context.Amf0References.Add(obj);
                ReadProperties(ref reader, context, obj, depth);
                return obj;
            }

            case Amf0Marker.EcmaArray:
            {
                // ecma-array-type = associative-count *(object-property)
                // associative-count = U32
                // Encoders disagree on the count (some write 0), and Flash Player ends an ECMA array
                // with object-end-type like an object; so the count is read and not trusted.
                context.EnterComplex(depth);
                _ = reader.ReadUInt32("an ECMA array count");
                var array = new AmfEcmaArray();
                context.Amf0References.Add(array);
                ReadProperties(ref reader, context, array, depth);
                return array;
            }

            case Amf0Marker.StrictArray:
            {
                // strict-array-type = array-count *(value-type)
                // array-count = U32
                context.EnterComplex(depth);
                var count = reader.ReadUInt32("a strict array count");
                reader.EnsureDeclared(count, 1, "strict array count");
                var list = new List<object?>();
                context.Amf0References.Add(list);
                for (var i = 0u; i < count; i++)
                {
                    list.Add(ReadValue(ref reader, context, depth + 1));
                }

                return list;
            }

            case Amf0Marker.Date:
            {
                // date-type = date-marker DOUBLE time-zone
                // time-zone = S16 ; reserved, not supported should be set to 0x0000
                var milliseconds = reader.ReadDouble("a date");
                _ = reader.ReadInt16("a date time-zone");
                return AmfDate.FromUnixMilliseconds(milliseconds);
            }

            case Amf0Marker.Reference:
            {
                // reference-type = reference-marker U16
                // "If the exact same instance of a complex object appears more than once in an
                // object graph then it must be sent by reference." (AMF0 2.9)
                var index = reader.ReadUInt16("a reference index");
                if (index >= context.Amf0References.Count)
                {
                    throw new RtmpProtocolException(
                        RtmpErrorReason.AmfMalformed,
                        $"AMF0 reference {index} points past the {context.Amf0References.Count} complex objects read so far");
                }

                return context.Amf0References[index];
            }

            case Amf0Marker.XmlDocument:
                // xml-document-type = xml-document-marker UTF-8-long
                return new AmfXml(reader.ReadUtf8(reader.ReadUInt32("an XML document length"), "XML document"));

            case Amf0Marker.AvmPlusObject:
                // avmplus-object-type = avmplus-object-marker value-type (the AMF 3 value-type)
                // "used to indicate that the following Object has been encoded in AMF 3" (AMF0 3.1)
                return Amf3Reader.ReadValue(ref reader, context, depth);

            case Amf0Marker.ObjectEnd:
                throw new RtmpProtocolException(
                    RtmpErrorReason.AmfMalformed, $"AMF0 object-end marker outside an object at offset {reader.Position - 1}");

            default:
                // movieclip (0x04) and recordset (0x0E) are "reserved, not supported"; unsupported
                // (0x0D) carries no value a command can use; anything above 0x11 is not AMF0.
                throw new RtmpProtocolException(
                    RtmpErrorReason.AmfMalformed, $"AMF0 marker 0x{marker:X2} is not supported at offset {reader.Position - 1}");
        }
    }

    /// <summary>UTF-8 = U16 *(UTF8-char)</summary>
    private static string ReadUtf8(ref AmfSpanReader reader, string what) =>
        reader.ReadUtf8(reader.ReadUInt16($"a {what} length"), what);

    /// <summary>
    /// object-property = (UTF-8 value-type) | (UTF-8-empty object-end-marker)
    /// The end is the empty name followed by 0x09; an empty name followed by another marker is an
    /// ordinary property with an empty name.
    /// </summary>
    private static void ReadProperties(ref AmfSpanReader reader, AmfReadContext context, AmfObject target, int depth)
    {
        while (true)
        {
            var name = ReadUtf8(ref reader, "property name");
            if (name.Length == 0 && reader.PeekByte() == Amf0Marker.ObjectEnd)
            {
                reader.ReadByte();
                return;
            }

            target.Add(name, ReadValue(ref reader, context, depth + 1));
        }
    }
}

/// <summary>Dates on the wire are milliseconds since 1970-01-01T00:00:00Z as a double (AMF0 2.13, AMF3 3.10).</summary>
internal static class AmfDate
{
    private static readonly double MinMilliseconds = (DateTimeOffset.MinValue - DateTimeOffset.UnixEpoch).TotalMilliseconds;
    private static readonly double MaxMilliseconds = (DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).TotalMilliseconds;

    public static DateTimeOffset FromUnixMilliseconds(double milliseconds)
    {
        if (double.IsNaN(milliseconds) || milliseconds < MinMilliseconds || milliseconds > MaxMilliseconds)
        {
            throw new RtmpProtocolException(RtmpErrorReason.AmfMalformed, $"AMF date {milliseconds} ms is out of range");
        }

        try
        {
            return DateTimeOffset.UnixEpoch.AddTicks((long)(milliseconds * TimeSpan.TicksPerMillisecond));
        }
        catch (ArgumentOutOfRangeException)
        {
            // The double rounded one tick past the edge of the range.
            throw new RtmpProtocolException(RtmpErrorReason.AmfMalformed, $"AMF date {milliseconds} ms is out of range");
        }
    }

    public static double ToUnixMilliseconds(DateTimeOffset value) =>
        (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerMillisecond;
}
