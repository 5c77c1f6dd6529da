using System.Diagnostics;

namespace RtmpGateway.Transcoding.Interop;

/// <summary>Reads and writes a struct field at a <see cref="LayoutField"/> of the loaded major.</summary>
internal static unsafe class StructAccess
{
    internal static int ReadInt32(nint structure, LayoutField field)
    {
        Debug.Assert(field.Size == sizeof(int), "field is not an int");
        return *(int*)((byte*)structure + field.Offset);
    }

    internal static void WriteInt32(nint structure, LayoutField field, int value)
    {
        Debug.Assert(field.Size == sizeof(int), "field is not an int");
        *(int*)((byte*)structure + field.Offset) = value;
    }

    internal static long ReadInt64(nint structure, LayoutField field)
    {
        Debug.Assert(field.Size == sizeof(long), "field is not an int64_t");
        return *(long*)((byte*)structure + field.Offset);
    }

    internal static void WriteInt64(nint structure, LayoutField field, long value)
    {
        Debug.Assert(field.Size == sizeof(long), "field is not an int64_t");
        *(long*)((byte*)structure + field.Offset) = value;
    }

    internal static nint ReadPointer(nint structure, LayoutField field)
    {
        Debug.Assert(field.Size == sizeof(nint), "field is not a pointer");
        return *(nint*)((byte*)structure + field.Offset);
    }

    internal static void WritePointer(nint structure, LayoutField field, nint value)
    {
        Debug.Assert(field.Size == sizeof(nint), "field is not a pointer");
        *(nint*)((byte*)structure + field.Offset) = value;
    }

    /// <summary>An AVRational <c>{ int num; int den; }</c>.</summary>
    internal static (int Num, int Den) ReadRational(nint structure, LayoutField field)
    {
        Debug.Assert(field.Size == 2 * sizeof(int), "field is not an AVRational");
        int* p = (int*)((byte*)structure + field.Offset);
        return (p[0], p[1]);
    }

    internal static void WriteRational(nint structure, LayoutField field, int num, int den)
    {
        Debug.Assert(field.Size == 2 * sizeof(int), "field is not an AVRational");
        int* p = (int*)((byte*)structure + field.Offset);
        p[0] = num;
        p[1] = den;
    }
}
