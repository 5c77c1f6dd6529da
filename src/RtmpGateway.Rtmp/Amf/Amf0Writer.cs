using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text;

namespace RtmpGateway.Rtmp.Amf;

/// <summary>
/// Encodes AMF0 values for one message: complex objects written twice are sent by reference,
/// and AMF3-only values go out behind the avmplus-object marker with one AMF3 context per message.
/// </summary>
internal sealed class Amf0Writer
{
    private readonly IBufferWriter<byte> _output;
    private readonly Dictionary<object, int> _references = new(ReferenceEqualityComparer.Instance);
    private Amf3Writer? _amf3;

    public Amf0Writer(IBufferWriter<byte> output)
    {
        _output = output;
    }

    public void WriteValue(object? value)
    {
        switch (value)
        {
            case null:
                _output.WriteByte(Amf0Marker.Null);
                break;
            case AmfUndefined:
                _output.WriteByte(Amf0Marker.Undefined);
                break;
            case bool b:
                WriteBoolean(b);
                break;
            case double d:
                WriteNumber(d);
                break;
            case int i:
                WriteNumber(i);
                break;
            case uint u:
                WriteNumber(u);
                break;
            case long l:
                WriteNumber(l);
                break;
            case float f:
                WriteNumber(f);
                break;
            case string s:
                WriteString(s);
                break;
            case DateTimeOffset date:
                WriteDate(date);
                break;
            case DateTime date:
                WriteDate(new DateTimeOffset(date.ToUniversalTime(), TimeSpan.Zero));
                break;
            case AmfXml xml:
                // xml-document-type = xml-document-marker UTF-8-long
                _output.WriteByte(Amf0Marker.XmlDocument);
                WriteUtf8Long(xml.Text);
                break;
            case AmfObject obj when !HasAmf0Names(obj):
            case byte[] or AmfDictionary or IAmfVector:
                // avmplus-object-type: values AMF0 cannot express go out as AMF3, among them objects
                // read from AMF3 whose class or member names are longer than AMF0's U16 lengths.
                _output.WriteByte(Amf0Marker.AvmPlusObject);
                _amf3 ??= new Amf3Writer(_output);
                _amf3.WriteValue(value);
                break;
            case AmfEcmaArray array:
                WriteEcmaArray(array);
                break;
            case AmfObject obj:
                WriteObject(obj);
                break;
            case IList list:
                WriteStrictArray(list);
                break;
            default:
                throw new ArgumentException($"AMF0 cannot encode a value of type {value.GetType()}", nameof(value));
        }
    }

    public void WriteNumber(double value)
    {
        // number-type = number-marker DOUBLE
        _output.WriteByte(Amf0Marker.Number);
        _output.WriteDouble(value);
    }

    public void WriteBoolean(bool value)
    {
        // boolean-type = boolean-marker U8 ; 0 is false, <> 0 is true
        _output.WriteByte(Amf0Marker.Boolean);
        _output.WriteByte(value ? (byte)1 : (byte)0);
    }

    public void WriteString(string value)
    {
        // "For long Strings that require more than 65535 bytes to encode in UTF-8, the AMF 0 Long
        // String type should be used." (AMF0 2.14)
        var byteCount = Encoding.UTF8.GetByteCount(value);
        if (byteCount > ushort.MaxValue)
        {
            _output.WriteByte(Amf0Marker.LongString);
            _output.WriteUInt32((uint)byteCount);
        }
        else
        {
            _output.WriteByte(Amf0Marker.String);
            _output.WriteUInt16((ushort)byteCount);
        }

        _output.WriteUtf8(value, byteCount);
    }

    public void WriteDate(DateTimeOffset value)
    {
        // date-type = date-marker DOUBLE time-zone
        // time-zone = S16 ; reserved, not supported should be set to 0x0000
        _output.WriteByte(Amf0Marker.Date);
        _output.WriteDouble(AmfDate.ToUnixMilliseconds(value));
        _output.WriteUInt16(0);
    }

    public void WriteObject(AmfObject value)
    {
        if (TryWriteReference(value))
        {
            return;
        }

        if (value.ClassName is null)
        {
            // anonymous-object-type = object-marker *(object-property)
            _output.WriteByte(Amf0Marker.Object);
        }
        else
        {
            // typed-object-type = typed-object-marker class-name *(object-property)
            _output.WriteByte(Amf0Marker.TypedObject);
            WriteUtf8(value.ClassName, "class name");
        }

        WriteProperties(value);
    }

    public void WriteEcmaArray(AmfEcmaArray value)
    {
        if (TryWriteReference(value))
        {
            return;
        }

        // ecma-array-type = associative-count *(object-property), ended like an object.
        // An AMF3 dense part becomes the ordinal keys "0", "1", ... first.
        _output.WriteByte(Amf0Marker.EcmaArray);
        _output.WriteUInt32((uint)(value.Dense.Count + value.Count));
        for (var i = 0; i < value.Dense.Count; i++)
        {
            WriteUtf8(i.ToString(CultureInfo.InvariantCulture), "property name");
            WriteValue(value.Dense[i]);
        }

        WriteProperties(value);
    }

    public void WriteStrictArray(IList value)
    {
        if (TryWriteReference(value))
        {
            return;
        }

        // strict-array-type = array-count *(value-type)
        _output.WriteByte(Amf0Marker.StrictArray);
        _output.WriteUInt32((uint)value.Count);
        foreach (var item in value)
        {
            WriteValue(item);
        }
    }

    private void WriteProperties(AmfObject value)
    {
        foreach (var (name, item) in value)
        {
            WriteUtf8(name, "property name");
            WriteValue(item);
        }

        // object-end-type = UTF-8-empty object-end-marker
        _output.WriteUInt16(0);
        _output.WriteByte(Amf0Marker.ObjectEnd);
    }

    /// <summary>
    /// "If the exact same instance of a complex object appears more than once in an object graph
    /// then it must be sent by reference." (AMF0 2.9) The table counts complex objects in the order
    /// they start, as the reader does.
    /// </summary>
    private bool TryWriteReference(object value)
    {
        if (_references.TryGetValue(value, out var index))
        {
            // reference-type = reference-marker U16
            _output.WriteByte(Amf0Marker.Reference);
            _output.WriteUInt16((ushort)index);
            return true;
        }

        if (_references.Count <= ushort.MaxValue)
        {
            _references.Add(value, _references.Count);
        }

        return false;
    }

    /// <summary>
    /// Whether the class name and every property name fit AMF0's UTF-8 (U16 length). Names read
    /// from AMF3 (UTF-8-vr, up to 2^28 bytes) may not; such an object is written as AMF3 instead.
    /// </summary>
    private static bool HasAmf0Names(AmfObject value)
    {
        // A UTF-16 string of n chars takes at most 3n UTF-8 bytes, so short names need no count.
        static bool Fits(string name) =>
            name.Length <= ushort.MaxValue / 3 || Encoding.UTF8.GetByteCount(name) <= ushort.MaxValue;

        if (value.ClassName is { } className && !Fits(className))
        {
            return false;
        }

        foreach (var (name, _) in value)
        {
            if (!Fits(name))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>UTF-8 = U16 *(UTF8-char)</summary>
    private void WriteUtf8(string value, string what)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        if (byteCount > ushort.MaxValue)
        {
            throw new ArgumentException($"AMF0 {what} is longer than 65535 UTF-8 bytes", nameof(value));
        }

        _output.WriteUInt16((ushort)byteCount);
        _output.WriteUtf8(value, byteCount);
    }

    /// <summary>UTF-8-long = U32 *(UTF8-char)</summary>
    private void WriteUtf8Long(string value)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        _output.WriteUInt32((uint)byteCount);
        _output.WriteUtf8(value, byteCount);
    }
}
