using System.Collections;

namespace RtmpGateway.Rtmp.Amf;

/// <summary>
/// An ActionScript object: an ordered list of properties, kept in wire order (duplicates too, so
/// that a value read writes back to the same bytes). Lookups return the first match.
/// </summary>
public class AmfObject : IEnumerable<KeyValuePair<string, object?>>
{
    private readonly List<KeyValuePair<string, object?>> _properties = [];

    /// <summary>Null for an anonymous object; the class name of an AMF0 typed object or AMF3 class.</summary>
    public string? ClassName { get; set; }

    /// <summary>
    /// AMF3 only: how many of the first properties are sealed trait members. An object read from
    /// AMF3 keeps its traits; a new object is written as an anonymous dynamic object.
    /// </summary>
    public int Amf3SealedMemberCount { get; set; }

    /// <summary>AMF3 only: whether properties after the sealed members are dynamic members.</summary>
    public bool Amf3IsDynamic { get; set; } = true;

    public int Count => _properties.Count;

    public object? this[string key]
    {
        get => TryGetValue(key, out var value) ? value : null;
        set
        {
            var index = _properties.FindIndex(p => p.Key == key);
            if (index < 0)
            {
                _properties.Add(new(key, value));
            }
            else
            {
                _properties[index] = new(key, value);
            }
        }
    }

    public void Add(string key, object? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        _properties.Add(new(key, value));
    }

    public bool ContainsKey(string key) => _properties.Exists(p => p.Key == key);

    public bool TryGetValue(string key, out object? value)
    {
        foreach (var property in _properties)
        {
            if (property.Key == key)
            {
                value = property.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>The property as a string, or null when absent or of another type.</summary>
    public string? GetString(string key) => this[key] as string;

    /// <summary>The property as a number (AMF number or AMF3 integer), or null when absent or of another type.</summary>
    public double? GetNumber(string key) => this[key] switch
    {
        double d => d,
        int i => i,
        _ => null,
    };

    /// <summary>The property as a boolean, or null when absent or of another type.</summary>
    public bool? GetBoolean(string key) => this[key] as bool?;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _properties.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// An ECMA (associative) array: AMF0 ecma-array-type (0x08), or an AMF3 array whose associative
/// part is not empty, in which case <see cref="Dense"/> holds its dense part.
/// </summary>
public sealed class AmfEcmaArray : AmfObject
{
    /// <summary>AMF3 only: the dense (ordinal) part. AMF0 writes it first, as keys "0", "1", ...</summary>
    public List<object?> Dense { get; } = [];
}
