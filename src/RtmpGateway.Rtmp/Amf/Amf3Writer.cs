using System.Buffers;
using System.Collections;
using System.Text;

namespace RtmpGateway.Rtmp.Amf;

/// <summary>
/// Encodes AMF3 values with the three reference tables of AMF3 2.2: repeated strings, repeated
/// complex instances and repeated traits are sent by reference, as the Flash runtime does.
/// </summary>
internal sealed class Amf3Writer
{
    private const int MinInt29 = -0x1000_0000;
    private const int MaxInt29 = 0x0FFF_FFFF;
    private const int MaxU28 = 0x0FFF_FFFF;

    private readonly IBufferWriter<byte> _output;
    private readonly Dictionary<string, int> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<object, int> _objects = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, int> _traits = new(StringComparer.Ordinal);

    public Amf3Writer(IBufferWriter<byte> output)
    {
        _output = output;
    }

    public void WriteValue(object? value)
    {
        switch (value)
        {
            case null:
                _output.WriteByte(Amf3Marker.Null);
                break;
            case AmfUndefined:
                _output.WriteByte(Amf3Marker.Undefined);
                break;
            case bool b:
                _output.WriteByte(b ? Amf3Marker.True : Amf3Marker.False);
                break;
            case int i:
                WriteInteger(i);
                break;
            case uint u:
                WriteInteger(u);
                break;
            case long l:
                WriteInteger(l);
                break;
            case double d:
                WriteDouble(d);
                break;
            case float f:
                WriteDouble(f);
                break;
            case string s:
                _output.WriteByte(Amf3Marker.String);
                WriteStringVr(s);
                break;
            case DateTimeOffset or DateTime:
                WriteDate(value);
                break;
            case AmfXml xml:
                WriteXml(xml);
                break;
            case byte[] bytes:
                WriteByteArray(bytes);
                break;
            case AmfEcmaArray array:
                WriteArray(array, array.Dense, array);
                break;
            case AmfObject obj:
                WriteObject(obj);
                break;
            case AmfDictionary dictionary:
                WriteDictionary(dictionary);
                break;
            case AmfVector<int> vector:
                WriteVector(Amf3Marker.VectorInt, vector, vector.Count, v => { foreach (var x in v) _output.WriteInt32(x); });
                break;
            case AmfVector<uint> vector:
                WriteVector(Amf3Marker.VectorUInt, vector, vector.Count, v => { foreach (var x in v) _output.WriteUInt32(x); });
                break;
            case AmfVector<double> vector:
                WriteVector(Amf3Marker.VectorDouble, vector, vector.Count, v => { foreach (var x in v) _output.WriteDouble(x); });
                break;
            case AmfVector<object?> vector:
                WriteVector(Amf3Marker.VectorObject, vector, vector.Count, v =>
                {
                    WriteStringVr(v.TypeName);
                    foreach (var x in v)
                    {
                        WriteValue(x);
                    }
                });
                break;
            case IList list:
                WriteArray(list, list, null);
                break;
            default:
                throw new ArgumentException($"AMF3 cannot encode a value of type {value.GetType()}", nameof(value));
        }
    }

    /// <summary>
    /// "If the value of an unsigned integer (uint) is greater or equal to 2^29 or if the value of a
    /// signed integer (int) is greater than or equal to 2^28 then it will be represented by AVM+ as
    /// a double and thus serialized in using the AMF 3 double type." (AMF3 3.6)
    /// </summary>
    private void WriteInteger(long value)
    {
        if (value is < MinInt29 or > MaxInt29)
        {
            WriteDouble(value);
            return;
        }

        _output.WriteByte(Amf3Marker.Integer);
        WriteU29((int)value & 0x1FFF_FFFF);
    }

    private void WriteDouble(double value)
    {
        _output.WriteByte(Amf3Marker.Double);
        _output.WriteDouble(value);
    }

    /// <summary>U29, AMF3 1.3.1; <paramref name="value"/> must be 0 .. 0x1FFFFFFF.</summary>
    private void WriteU29(int value)
    {
        var span = _output.GetSpan(4);
        int length;
        if (value < 0x80)
        {
            span[0] = (byte)value;
            length = 1;
        }
        else if (value < 0x4000)
        {
            span[0] = (byte)((value >> 7) | 0x80);
            span[1] = (byte)(value & 0x7F);
            length = 2;
        }
        else if (value < 0x20_0000)
        {
            span[0] = (byte)((value >> 14) | 0x80);
            span[1] = (byte)(((value >> 7) & 0x7F) | 0x80);
            span[2] = (byte)(value & 0x7F);
            length = 3;
        }
        else
        {
            span[0] = (byte)((value >> 22) | 0x80);
            span[1] = (byte)(((value >> 15) & 0x7F) | 0x80);
            span[2] = (byte)(((value >> 8) & 0x7F) | 0x80);
            span[3] = (byte)value;
            length = 4;
        }

        _output.Advance(length);
    }

    /// <summary>A U29 whose low bit is 1 and whose remaining 28 bits carry a length or count.</summary>
    private void WriteU29Value(int count)
    {
        if (count > MaxU28)
        {
            throw new ArgumentException($"AMF3 cannot encode a length or count of {count}", nameof(count));
        }

        WriteU29((count << 1) | 1);
    }

    /// <summary>UTF-8-vr: the empty string is 0x01 and never a reference; others are sent once, then by index.</summary>
    private void WriteStringVr(string value)
    {
        if (value.Length == 0)
        {
            _output.WriteByte(0x01);
            return;
        }

        if (_strings.TryGetValue(value, out var index))
        {
            WriteU29(index << 1);
            return;
        }

        _strings.Add(value, _strings.Count);
        WriteUtf8Value(value);
    }

    private void WriteUtf8Value(string value)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        WriteU29Value(byteCount);
        _output.WriteUtf8(value, byteCount);
    }

    /// <summary>Writes the U29O-ref when <paramref name="value"/> was written before; otherwise adds it to the table.</summary>
    private bool TryWriteReference(byte marker, object value)
    {
        _output.WriteByte(marker);
        if (_objects.TryGetValue(value, out var index))
        {
            WriteU29(index << 1);
            return true;
        }

        _objects.Add(value, _objects.Count);
        return false;
    }

    private void WriteDate(object value)
    {
        // U29D-value: low bit 1, other bits unused; then DOUBLE milliseconds since the epoch, UTC.
        if (TryWriteReference(Amf3Marker.Date, value))
        {
            return;
        }

        var date = value is DateTime dateTime ? new DateTimeOffset(dateTime.ToUniversalTime(), TimeSpan.Zero) : (DateTimeOffset)value;
        _output.WriteByte(0x01);
        _output.WriteDouble(AmfDate.ToUnixMilliseconds(date));
    }

    private void WriteXml(AmfXml value)
    {
        if (!TryWriteReference(value.IsLegacyDocument ? Amf3Marker.XmlDocument : Amf3Marker.Xml, value))
        {
            WriteUtf8Value(value.Text);
        }
    }

    private void WriteByteArray(byte[] value)
    {
        if (!TryWriteReference(Amf3Marker.ByteArray, value))
        {
            WriteU29Value(value.Length);
            _output.WriteBytes(value);
        }
    }

    /// <summary>U29A-value (dense count), the associative part ended by UTF-8-empty, then the dense part.</summary>
    private void WriteArray(object instance, IList dense, AmfObject? associative)
    {
        if (TryWriteReference(Amf3Marker.Array, instance))
        {
            return;
        }

        WriteU29Value(dense.Count);
        if (associative is not null)
        {
            foreach (var (name, item) in associative)
            {
                if (name.Length == 0)
                {
                    throw new ArgumentException("AMF3 cannot encode an associative array key that is empty", nameof(associative));
                }

                WriteStringVr(name);
                WriteValue(item);
            }
        }

        _output.WriteByte(0x01);
        foreach (var item in dense)
        {
            WriteValue(item);
        }
    }

    /// <summary>
    /// U29O-traits (low bits 011, bit 3 dynamic, sealed member count above) or, for traits written
    /// before, U29O-traits-ref (low bits 01, traits index above).
    /// </summary>
    private void WriteObject(AmfObject value)
    {
        if (TryWriteReference(Amf3Marker.Object, value))
        {
            return;
        }

        var sealedCount = value.Amf3IsDynamic ? Math.Min(value.Amf3SealedMemberCount, value.Count) : value.Count;
        var className = value.ClassName ?? string.Empty;
        var traitsKey = new StringBuilder().Append(className).Append('\0').Append(value.Amf3IsDynamic ? '1' : '0');
        var index = 0;
        foreach (var (name, _) in value)
        {
            if (index++ == sealedCount)
            {
                break;
            }

            traitsKey.Append('\0').Append(name);
        }

        var key = traitsKey.ToString();
        if (_traits.TryGetValue(key, out var traitsIndex))
        {
            WriteU29((traitsIndex << 2) | 0b01);
        }
        else
        {
            if (sealedCount > 0x01FF_FFFF)
            {
                throw new ArgumentException("AMF3 cannot encode that many sealed members", nameof(value));
            }

            _traits.Add(key, _traits.Count);
            WriteU29((sealedCount << 4) | (value.Amf3IsDynamic ? 0b1000 : 0) | 0b011);
            WriteStringVr(className);
            index = 0;
            foreach (var (name, _) in value)
            {
                if (index++ == sealedCount)
                {
                    break;
                }

                WriteStringVr(name);
            }
        }

        index = 0;
        foreach (var (name, item) in value)
        {
            if (index++ >= sealedCount)
            {
                if (name.Length == 0)
                {
                    throw new ArgumentException("AMF3 cannot encode a dynamic member whose name is empty", nameof(value));
                }

                WriteStringVr(name);
            }

            WriteValue(item);
        }

        if (value.Amf3IsDynamic)
        {
            _output.WriteByte(0x01);
        }
    }

    private void WriteVector<T>(byte marker, T vector, int count, Action<T> writeItems)
        where T : IAmfVector
    {
        if (TryWriteReference(marker, vector))
        {
            return;
        }

        WriteU29Value(count);
        _output.WriteByte(vector.IsFixed ? (byte)1 : (byte)0);
        writeItems(vector);
    }

    private void WriteDictionary(AmfDictionary value)
    {
        if (TryWriteReference(Amf3Marker.Dictionary, value))
        {
            return;
        }

        WriteU29Value(value.Count);
        _output.WriteByte(value.HasWeakKeys ? (byte)1 : (byte)0);
        foreach (var (key, item) in value)
        {
            WriteValue(key);
            WriteValue(item);
        }
    }
}
