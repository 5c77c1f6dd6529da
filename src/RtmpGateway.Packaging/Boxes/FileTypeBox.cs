namespace RtmpGateway.Packaging.Boxes;

/// <summary>
/// ISO/IEC 14496-12 §4.3 FileTypeBox ('ftyp') and §8.16.2 SegmentTypeBox ('styp', same syntax):
/// <code>
/// aligned(8) class FileTypeBox extends Box('ftyp') {
///    unsigned int(32) major_brand;
///    unsigned int(32) minor_version;
///    unsigned int(32) compatible_brands[]; // to end of the box
/// }
/// </code>
/// </summary>
public static class FileTypeBox
{
    public static int Size(int compatibleBrandCount) => BoxWriter.BoxHeaderSize + 8 + (4 * compatibleBrandCount);

    /// <param name="type"><see cref="BoxType.Ftyp"/> or <see cref="BoxType.Styp"/>.</param>
    public static void Write(ref BoxWriter writer, uint type, uint majorBrand, uint minorVersion, ReadOnlySpan<uint> compatibleBrands)
    {
        int box = writer.StartBox(type);
        writer.WriteFourCc(majorBrand);
        writer.WriteUInt32(minorVersion);
        foreach (uint brand in compatibleBrands)
        {
            writer.WriteFourCc(brand);
        }

        writer.EndBox(box);
    }
}
