using System.Text;

namespace RtmpGateway.Rtmp.Amf;

/// <summary>Decodes AMF3 values (Adobe "AMF 3 Specification", January 2013).</summary>
internal static class Amf3Reader
{
    public static object? ReadValue(ref AmfSpanReader reader, AmfReadContext context, int depth)
    {
        context.CountValue();
        var marker = reader.ReadByte();
        switch (marker)
        {
            case Amf3Marker.Undefined:
                return AmfUndefined.Value;
            case Amf3Marker.Null:
                return null;
            case Amf3Marker.False:
                return false;
            case Amf3Marker.True:
                return true;

            case Amf3Marker.Integer:
            {
                // integer-type = integer-marker U29
                // A signed 29-bit value: bit 28 is the sign (AVM+ int of 29 bits).
                var value = ReadU29(ref reader);
                return (value & 0x1000_0000) != 0 ? value - 0x2000_0000 : value;
            }

            case Amf3Marker.Double:
                // double-type = double-marker DOUBLE
                return reader.ReadDouble("a double");

            case Amf3Marker.String:
                // string-type = string-marker UTF-8-vr
                return ReadString(ref reader, context);

            case Amf3Marker.XmlDocument:
            case Amf3Marker.Xml:
            {
                // xml-doc-type = xml-doc-marker (U29O-ref | (U29X-value *(UTF8-char)))
                // xml-type = xml-marker (U29O-ref | (U29X-value *(UTF8-char)))
                // U29X-value: low bit 1, the remaining bits are the byte-length of the UTF-8 text.
                // XML strings go to the object reference table, not the string table.
                var header = ReadU29(ref reader);
                if ((header & 1) == 0)
                {
                    return ObjectReference(context, header);
                }

                var xml = new AmfXml(reader.ReadUtf8(header >> 1, "XML")) { IsLegacyDocument = marker == Amf3Marker.XmlDocument };
                context.Amf3Objects.Add(xml);
                return xml;
            }

            case Amf3Marker.Date:
            {
                // date-type = date-marker (U29O-ref | (U29D-value date-time))
                // U29D-value: low bit 1, "the remaining 1 to 28 significant bits are not used".
                // date-time = DOUBLE ; milliseconds since the epoch, UTC
                var header = ReadU29(ref reader);
                if ((header & 1) == 0)
                {
                    return ObjectReference(context, header);
                }

                object date = AmfDate.FromUnixMilliseconds(reader.ReadDouble("a date"));
                context.Amf3Objects.Add(date);
                return date;
            }

            case Amf3Marker.Array:
                return ReadArray(ref reader, context, depth);

            case Amf3Marker.Object:
                return ReadObject(ref reader, context, depth);

            case Amf3Marker.ByteArray:
            {
                // bytearray-type = bytearray-marker (U29O-ref | U29B-value *(U8))
                var header = ReadU29(ref reader);
                if ((header & 1) == 0)
                {
                    return ObjectReference(context, header);
                }

                var bytes = reader.ReadDeclared(header >> 1, "byte array length").ToArray();
                context.Amf3Objects.Add(bytes);
                return bytes;
            }

            case Amf3Marker.VectorInt:
            case Amf3Marker.VectorUInt:
            case Amf3Marker.VectorDouble:
            case Amf3Marker.VectorObject:
                return ReadVector(ref reader, context, depth, marker);

            case Amf3Marker.Dictionary:
                return ReadDictionary(ref reader, context, depth);

            default:
                throw new RtmpProtocolException(
                    RtmpErrorReason.AmfMalformed, $"AMF3 marker 0x{marker:X2} is not defined, at offset {reader.Position - 1}");
        }
    }

    /// <summary>
    /// U29 (AMF3 1.3.1): "the high bit of the first 3 bytes are used as flags to determine whether
    /// the next byte is part of the integer"; the fourth byte carries 8 bits.
    /// <code>
    /// 0x00000000 - 0x0000007F : 0xxxxxxx
    /// 0x00000080 - 0x00003FFF : 1xxxxxxx 0xxxxxxx
    /// 0x00004000 - 0x001FFFFF : 1xxxxxxx 1xxxxxxx 0xxxxxxx
    /// 0x00200000 - 0x3FFFFFFF : 1xxxxxxx 1xxxxxxx 1xxxxxxx xxxxxxxx
    /// </code>
    /// </summary>
    public static int ReadU29(ref AmfSpanReader reader)
    {
        var value = 0;
        for (var i = 0; i < 3; i++)
        {
            var b = reader.ReadByte();
            value = (value << 7) | (b & 0x7F);
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        return (value << 8) | reader.ReadByte();
    }

    /// <summary>
    /// UTF-8-vr = U29S-ref | (U29S-value *(UTF8-char))
    /// U29S-ref: low bit 0, the remaining bits index the string reference table.
    /// U29S-value: low bit 1, the remaining bits are the byte-length.
    /// "UTF-8-empty = 0x01 ; The UTF-8-vr empty string which is never sent by reference."
    /// </summary>
    public static string ReadString(ref AmfSpanReader reader, AmfReadContext context)
    {
        var header = ReadU29(ref reader);
        if ((header & 1) == 0)
        {
            var index = header >> 1;
            if (index >= context.Amf3Strings.Count)
            {
                throw new RtmpProtocolException(
                    RtmpErrorReason.AmfMalformed,
                    $"AMF3 string reference {index} points past the {context.Amf3Strings.Count} strings read so far");
            }

            var referenced = context.Amf3Strings[index];
            context.CountReferenced(Encoding.UTF8.GetByteCount(referenced));
            return referenced;
        }

        var text = reader.ReadUtf8(header >> 1, "string");
        if (text.Length > 0)
        {
            context.Amf3Strings.Add(text);
        }

        return text;
    }

    private static object ObjectReference(AmfReadContext context, int header)
    {
        // U29O-ref: low bit 0, the remaining bits index the object reference table.
        var index = header >> 1;
        if (index >= context.Amf3Objects.Count)
        {
            throw new RtmpProtocolException(
                RtmpErrorReason.AmfMalformed,
                $"AMF3 object reference {index} points past the {context.Amf3Objects.Count} objects read so far");
        }

        var referenced = context.Amf3Objects[index];
        if (referenced is AmfXml xml)
        {
            // AMF0 has no reference for XML: each use is written out again.
            context.CountReferenced(Encoding.UTF8.GetByteCount(xml.Text));
        }

        return referenced;
    }

    /// <summary>
    /// array-type = array-marker (U29O-ref | (U29A-value (UTF-8-empty | *(assoc-value) UTF-8-empty) *(value-type)))
    /// U29A-value: low bit 1, the remaining bits are the count of the dense portion.
    /// assoc-value = UTF-8-vr value-type
    /// </summary>
    private static object ReadArray(ref AmfSpanReader reader, AmfReadContext context, int depth)
    {
        var header = ReadU29(ref reader);
        if ((header & 1) == 0)
        {
            return ObjectReference(context, header);
        }

        context.EnterComplex(depth);
        var denseCount = header >> 1;
        reader.EnsureDeclared(denseCount, 1, "array dense count");
        var key = ReadString(ref reader, context);
        if (key.Length == 0)
        {
            var list = new List<object?>();
            context.Amf3Objects.Add(list);
            ReadDense(ref reader, context, depth, denseCount, list);
            return list;
        }

        var array = new AmfEcmaArray();
        context.Amf3Objects.Add(array);
        for (; key.Length > 0; key = ReadString(ref reader, context))
        {
            array.Add(key, ReadValue(ref reader, context, depth + 1));
        }

        reader.EnsureDeclared(denseCount, 1, "array dense count");
        ReadDense(ref reader, context, depth, denseCount, array.Dense);
        return array;
    }

    private static void ReadDense(ref AmfSpanReader reader, AmfReadContext context, int depth, int count, List<object?> target)
    {
        for (var i = 0; i < count; i++)
        {
            target.Add(ReadValue(ref reader, context, depth + 1));
        }
    }

    /// <summary>
    /// object-type = object-marker (U29O-ref | (U29O-traits-ext class-name *(U8)) | U29O-traits-ref |
    ///               (U29O-traits class-name *(UTF-8-vr))) *(value-type) *(dynamic-member)))
    /// dynamic-member = UTF-8-vr value-type ; ends with UTF-8-empty
    /// Low bits of the U29: bit 0 = 1 an instance follows (else object reference); bit 1 = 1 traits
    /// follow inline (else a traits reference in the remaining bits); bit 2 = 1 externalizable;
    /// bit 3 = dynamic; the remaining 25 bits count the sealed member names.
    /// </summary>
    private static object ReadObject(ref AmfSpanReader reader, AmfReadContext context, int depth)
    {
        var header = ReadU29(ref reader);
        if ((header & 1) == 0)
        {
            return ObjectReference(context, header);
        }

        context.EnterComplex(depth);
        Amf3Traits traits;
        if ((header & 2) == 0)
        {
            var index = header >> 2;
            if (index >= context.Amf3Traits.Count)
            {
                throw new RtmpProtocolException(
                    RtmpErrorReason.AmfMalformed,
                    $"AMF3 traits reference {index} points past the {context.Amf3Traits.Count} traits read so far");
            }

            traits = context.Amf3Traits[index];
            context.CountReferenced(traits.NameBytes);
        }
        else if ((header & 4) != 0)
        {
            // U29O-traits-ext: "the indicated class ... has been registered as externalizable";
            // its body is in a format only that class's own code knows, so it cannot be skipped.
            throw new RtmpProtocolException(
                RtmpErrorReason.AmfMalformed, "AMF3 externalizable objects are not supported");
        }
        else
        {
            var sealedCount = header >> 4;
            var className = ReadString(ref reader, context);
            reader.EnsureDeclared(sealedCount, 1, "sealed member count");
            var members = new List<string>();
            for (var i = 0; i < sealedCount; i++)
            {
                members.Add(ReadString(ref reader, context));
            }

            traits = new Amf3Traits(className, (header & 8) != 0, members);
            context.Amf3Traits.Add(traits);
        }

        var obj = new AmfObject
        {
            ClassName = traits.ClassName.Length == 0 ? null : traits.ClassName,
            Amf3SealedMemberCount = traits.SealedMembers.Count,
            Amf3IsDynamic = traits.IsDynamic,
        };
        context.Amf3Objects.Add(obj);
        foreach (var member in traits.SealedMembers)
        {
            obj.Add(member, ReadValue(ref reader, context, depth + 1));
        }

        if (traits.IsDynamic)
        {
            for (var name = ReadString(ref reader, context); name.Length > 0; name = ReadString(ref reader, context))
            {
                obj.Add(name, ReadValue(ref reader, context, depth + 1));
            }
        }

        return obj;
    }

    /// <summary>
    /// vector-int-type = vector-int-marker (U29O-ref | (U29V-value fixed-vector *(U32)))
    /// vector-uint-type = vector-uint-marker (U29O-ref | (U29V-value fixed-vector *(U32)))
    /// vector-number-type = vector-number-marker (U29O-ref | (U29V-value fixed-vector *(DOUBLE)))
    /// vector-object-type = vector-object-marker (U29O-ref | (U29V-value fixed-vector object-type-name *(value-type)))
    /// fixed-vector = U8 ; 0x00 if not a fixed-length Vector, otherwise 0x01
    /// </summary>
    private static object ReadVector(ref AmfSpanReader reader, AmfReadContext context, int depth, byte marker)
    {
        var header = ReadU29(ref reader);
        if ((header & 1) == 0)
        {
            return ObjectReference(context, header);
        }

        context.EnterComplex(depth);
        var count = header >> 1;
        var isFixed = ReadFixedFlag(ref reader);
        switch (marker)
        {
            case Amf3Marker.VectorInt:
            {
                reader.EnsureDeclared(count, 4, "int vector count");
                var vector = new AmfVector<int> { IsFixed = isFixed };
                context.Amf3Objects.Add(vector);
                for (var i = 0; i < count; i++)
                {
                    vector.Add(reader.ReadInt32("a vector element"));
                }

                return vector;
            }

            case Amf3Marker.VectorUInt:
            {
                reader.EnsureDeclared(count, 4, "uint vector count");
                var vector = new AmfVector<uint> { IsFixed = isFixed };
                context.Amf3Objects.Add(vector);
                for (var i = 0; i < count; i++)
                {
                    vector.Add(reader.ReadUInt32("a vector element"));
                }

                return vector;
            }

            case Amf3Marker.VectorDouble:
            {
                reader.EnsureDeclared(count, 8, "number vector count");
                var vector = new AmfVector<double> { IsFixed = isFixed };
                context.Amf3Objects.Add(vector);
                for (var i = 0; i < count; i++)
                {
                    vector.Add(reader.ReadDouble("a vector element"));
                }

                return vector;
            }

            default:
            {
                var vector = new AmfVector<object?> { IsFixed = isFixed };
                context.Amf3Objects.Add(vector);
                vector.TypeName = ReadString(ref reader, context);
                reader.EnsureDeclared(count, 1, "object vector count");
                for (var i = 0; i < count; i++)
                {
                    vector.Add(ReadValue(ref reader, context, depth + 1));
                }

                return vector;
            }
        }
    }

    /// <summary>
    /// dictionary-type = dictionary-marker (U29O-ref | (U29Dict-value weak-keys *(entry-key entry-value)))
    /// weak-keys = U8 ; 0x00 if not using weak keys, otherwise 0x01
    /// </summary>
    private static object ReadDictionary(ref AmfSpanReader reader, AmfReadContext context, int depth)
    {
        var header = ReadU29(ref reader);
        if ((header & 1) == 0)
        {
            return ObjectReference(context, header);
        }

        context.EnterComplex(depth);
        var count = header >> 1;
        var dictionary = new AmfDictionary { HasWeakKeys = ReadFixedFlag(ref reader) };
        reader.EnsureDeclared(count, 2, "dictionary entry count");
        context.Amf3Objects.Add(dictionary);
        for (var i = 0; i < count; i++)
        {
            var key = ReadValue(ref reader, context, depth + 1);
            dictionary.Add(key, ReadValue(ref reader, context, depth + 1));
        }

        return dictionary;
    }

    private static bool ReadFixedFlag(ref AmfSpanReader reader) => reader.ReadByte() switch
    {
        0 => false,
        1 => true,
        var other => throw new RtmpProtocolException(
            RtmpErrorReason.AmfMalformed, $"AMF3 flag byte 0x{other:X2} is neither 0x00 nor 0x01"),
    };
}
