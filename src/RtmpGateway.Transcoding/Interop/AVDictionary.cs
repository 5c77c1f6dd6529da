using System.Runtime.InteropServices;
using System.Text;

namespace RtmpGateway.Transcoding.Interop;

/// <summary>
/// Owns an AVDictionary of options for avcodec_open2. avcodec_open2 replaces the dictionary with the
/// entries nobody consumed, which <see cref="RemainingKeys"/> lists: a non-empty list means a typo.
/// </summary>
internal sealed unsafe class AVDictionary : IDisposable
{
    private nint _dictionary;

    private bool _disposed;

    /// <summary>avcodec_open2(context, codec, &amp;dictionary): the dictionary afterwards holds the unused entries.</summary>
    internal int OpenCodec(nint context, nint codec)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        fixed (nint* pm = &_dictionary)
        {
            return NativeMethods.avcodec_open2(context, codec, pm);
        }
    }

    internal int Count => _dictionary == 0 ? 0 : NativeMethods.av_dict_count(_dictionary);

    internal void Set(string key, string value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[] k = Utf8Z(key);
        byte[] v = Utf8Z(value);
        fixed (byte* pk = k)
        fixed (byte* pv = v)
        fixed (nint* pm = &_dictionary)
        {
            FFmpegResult.Check(NativeMethods.av_dict_set(pm, pk, pv, 0), $"av_dict_set({key})");
        }
    }

    /// <summary>The keys still in the dictionary.</summary>
    internal List<string> RemainingKeys()
    {
        var keys = new List<string>();
        byte* empty = stackalloc byte[1];
        empty[0] = 0;
        AVDictionaryEntry* entry = null;
        while (_dictionary != 0 && (entry = NativeMethods.av_dict_get(_dictionary, empty, entry, FFmpegConstants.AV_DICT_IGNORE_SUFFIX)) != null)
        {
            keys.Add($"{Marshal.PtrToStringUTF8((nint)entry->Key)}={Marshal.PtrToStringUTF8((nint)entry->Value)}");
        }

        return keys;
    }

    public void Dispose()
    {
        if (_dictionary != 0)
        {
            fixed (nint* pm = &_dictionary)
            {
                NativeMethods.av_dict_free(pm);
            }
        }

        _disposed = true;
    }

    private static byte[] Utf8Z(string s)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}
