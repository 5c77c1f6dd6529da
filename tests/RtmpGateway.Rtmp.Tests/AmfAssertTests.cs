using System.Buffers;
using System.Collections;
using System.Runtime.CompilerServices;
using RtmpGateway.Rtmp.Amf;

namespace RtmpGateway.Rtmp.Tests;

/// <summary>Helpers shared by the AMF tests, and the tests of those helpers.</summary>
internal static class AmfTestSupport
{
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static AmfVector<T> With<T>(this AmfVector<T> vector, params T[] items)
    {
        vector.AddRange(items);
        return vector;
    }

    public static string DataPath(string name, [CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "Data", name);

    public static byte[] WriteAmf0(params object?[] values)
    {
        var output = new ArrayBufferWriter<byte>();
        Amf0.WriteAll(output, values);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] WriteAmf3(object? value)
    {
        var output = new ArrayBufferWriter<byte>();
        Amf3.Write(output, value);
        return output.WrittenSpan.ToArray();
    }

    public static RtmpProtocolException ThrowsProtocol(Action action)
    {
        var exception = Record.Exception(action);
        Assert.NotNull(exception);
        return Assert.IsType<RtmpProtocolException>(exception);
    }

    /// <summary>Structural equality over the AMF value model; types must match exactly, doubles bit for bit.</summary>
    public static void Equal(object? expected, object? actual, string path = "$")
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
            return;
        }

        Assert.True(expected.GetType() == actual.GetType(), $"{path}: expected {expected.GetType()}, got {actual.GetType()}");
        switch (expected)
        {
            case double d:
                Assert.True(BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits((double)actual), $"{path}: expected {d}, got {actual}");
                break;
            case byte[] bytes:
                Assert.True(bytes.AsSpan().SequenceEqual((byte[])actual), $"{path}: byte arrays differ");
                break;
            case AmfObject obj:
                var other = (AmfObject)actual;
                Assert.True(obj.ClassName == other.ClassName, $"{path}: class {obj.ClassName} vs {other.ClassName}");
                Assert.True(obj.Amf3SealedMemberCount == other.Amf3SealedMemberCount, $"{path}: sealed count");
                Assert.True(obj.Amf3IsDynamic == other.Amf3IsDynamic, $"{path}: dynamic flag");
                Assert.True(obj.Count == other.Count, $"{path}: {obj.Count} properties expected, got {other.Count}");
                foreach (var ((ek, ev), (ak, av)) in obj.Zip(other))
                {
                    Assert.True(ek == ak, $"{path}: key {ek} expected, got {ak}");
                    Equal(ev, av, $"{path}.{ek}");
                }

                if (obj is AmfEcmaArray array)
                {
                    Equal(array.Dense, ((AmfEcmaArray)actual).Dense, $"{path}[dense]");
                }

                break;
            case AmfDictionary dictionary:
                var otherDictionary = (AmfDictionary)actual;
                Assert.Equal(dictionary.HasWeakKeys, otherDictionary.HasWeakKeys);
                Assert.Equal(dictionary.Count, otherDictionary.Count);
                foreach (var (e, a) in dictionary.Zip(otherDictionary))
                {
                    Equal(e.Key, a.Key, $"{path}{{key}}");
                    Equal(e.Value, a.Value, $"{path}{{value}}");
                }

                break;
            case IList list:
                var otherList = (IList)actual;
                if (expected is IAmfVector vector)
                {
                    Assert.Equal(vector.IsFixed, ((IAmfVector)actual).IsFixed);
                }

                if (expected is AmfVector<object?> objects)
                {
                    Assert.Equal(objects.TypeName, ((AmfVector<object?>)actual).TypeName);
                }

                Assert.True(list.Count == otherList.Count, $"{path}: {list.Count} items expected, got {otherList.Count}");
                for (var i = 0; i < list.Count; i++)
                {
                    Equal(list[i], otherList[i], $"{path}[{i}]");
                }

                break;
            default:
                Assert.True(expected.Equals(actual), $"{path}: expected {expected}, got {actual}");
                break;
        }
    }

    /// <summary>
    /// Every strict prefix of <paramref name="message"/> must throw <see cref="RtmpProtocolException"/>
    /// and nothing else, or (for a sequence of values) succeed with exactly the first values.
    /// </summary>
    public static void AllPrefixesFailOrYieldLeadingValues(byte[] message, IReadOnlyList<object?> expected, Func<byte[], List<object?>> read)
    {
        for (var length = 0; length < message.Length; length++)
        {
            var prefix = message[..length];
            List<object?>? values = null;
            var exception = Record.Exception(() => values = read(prefix));
            if (exception is not null)
            {
                Assert.True(exception is RtmpProtocolException, $"prefix of {length} bytes threw {exception.GetType()}: {exception.Message}");
                continue;
            }

            Assert.True(values!.Count < expected.Count, $"prefix of {length} bytes read all {expected.Count} values");
            for (var i = 0; i < values.Count; i++)
            {
                Equal(expected[i], values[i], $"prefix {length} value {i}");
            }
        }
    }
}

public sealed class AmfAssertTests
{
    [Fact]
    public void Equal_DifferentNumbers_Fails()
    {
        Assert.ThrowsAny<Exception>(() => AmfTestSupport.Equal(1.0, 2.0));
    }

    [Fact]
    public void Equal_IntAgainstDouble_Fails()
    {
        Assert.ThrowsAny<Exception>(() => AmfTestSupport.Equal(1.0, 1));
    }

    [Fact]
    public void Equal_ObjectsWithDifferentNestedValue_Fails()
    {
        var a = new AmfObject { { "k", new List<object?> { "x" } } };
        var b = new AmfObject { { "k", new List<object?> { "y" } } };
        Assert.ThrowsAny<Exception>(() => AmfTestSupport.Equal(a, b));
    }
}
