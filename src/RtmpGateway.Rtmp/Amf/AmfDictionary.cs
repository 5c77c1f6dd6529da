using System.Collections;

namespace RtmpGateway.Rtmp.Amf;

/// <summary>AMF3 dictionary-type (0x11): entries whose keys may be any value, kept in wire order.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Naming", "CA1711", Justification = "Named after the AMF3 dictionary-type; the RTMP session code uses this name.")]
public sealed class AmfDictionary : IEnumerable<KeyValuePair<object?, object?>>
{
    private readonly List<KeyValuePair<object?, object?>> _entries = [];

    /// <summary>The weak-keys flag of the wire format (only meaningful to a Flash runtime).</summary>
    public bool HasWeakKeys { get; set; }

    public int Count => _entries.Count;

    public void Add(object? key, object? value) => _entries.Add(new(key, value));

    public IEnumerator<KeyValuePair<object?, object?>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Marks the AMF3 vector types so writers can tell them from plain lists.</summary>
public interface IAmfVector
{
    bool IsFixed { get; }
}

/// <summary>
/// AMF3 vector types: <c>AmfVector&lt;int&gt;</c> (0x0D), <c>&lt;uint&gt;</c> (0x0E),
/// <c>&lt;double&gt;</c> (0x0F) and <c>&lt;object?&gt;</c> (0x10, with <see cref="TypeName"/>).
/// </summary>
public sealed class AmfVector<T> : List<T>, IAmfVector
{
    /// <summary>The fixed-vector flag: whether the vector's length may change.</summary>
    public bool IsFixed { get; set; }

    /// <summary>Object vectors only: the element type name ("" or "*" for Object).</summary>
    public string TypeName { get; set; } = "";
}
