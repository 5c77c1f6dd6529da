using RtmpGateway.Packaging.Boxes;

namespace RtmpGateway.Packaging.Cmaf;

/// <summary>
/// The brands this gateway declares, and why.
/// <para>
/// CMAF header ('ftyp'): major 'iso6', compatible 'iso6' and 'cmfc'. ISO/IEC 23000-19 §7.2 defines 'cmfc'
/// as the CMAF structural brand and a CMAF header lists it among the compatible brands; CMAF tracks are
/// built on the ISO BMFF 'iso6' brand, whose requirements cover every structure these files use (tfdt,
/// default-base-is-moof, version-1 trun with signed composition offsets). 14496-12 §4.3 lets the major
/// brand be any brand the file conforms to, and the file should also list it as compatible. 'iso6' as
/// the major brand with 'cmfc' compatible is also what ffmpeg writes for CMAF (-movflags cmaf), a layout
/// hls.js, dash.js and Safari already play. No CMAF media-profile brand ('cfhd', 'chh1', 'caac', ...) is
/// claimed: those constrain resolution, level and frame rate, which a passthrough rung cannot promise.
/// </para>
/// <para>
/// CMAF segment ('styp'): major 'cmfs', compatible 'cmfs', 'cmff' and 'msdh'. 23000-19 gives 'cmfs' to a
/// CMAF segment and 'cmff' to a CMAF fragment; a segment here is exactly one fragment (it starts at a
/// keyframe and its LL-HLS parts are the fragment's CMAF chunks), so both hold. 'msdh' is the
/// ISO/IEC 23009-1 §6.3.4.2 DASH media segment brand, since the same segments serve the MPD. 'msix'
/// (§6.3.4.3, indexed media segment) is not claimed: it requires a 'sidx', and these segments have none.
/// 'cmfl' (CMAF chunk) is not claimed either: the styp starts a segment of several chunks, not one chunk.
/// </para>
/// </summary>
public static class CmafBrands
{
    public const uint Iso6 = 'i' << 24 | 's' << 16 | 'o' << 8 | '6';
    public const uint Cmfc = 'c' << 24 | 'm' << 16 | 'f' << 8 | 'c';
    public const uint Cmfs = 'c' << 24 | 'm' << 16 | 'f' << 8 | 's';
    public const uint Cmff = 'c' << 24 | 'm' << 16 | 'f' << 8 | 'f';
    public const uint Msdh = 'm' << 24 | 's' << 16 | 'd' << 8 | 'h';

    /// <summary>The CMAF header's major brand.</summary>
    public const uint HeaderMajor = Iso6;

    /// <summary>The segment type box's major brand.</summary>
    public const uint SegmentMajor = Cmfs;

    public static ReadOnlySpan<uint> HeaderCompatible => [Iso6, Cmfc];

    public static ReadOnlySpan<uint> SegmentCompatible => [Cmfs, Cmff, Msdh];

    internal static int HeaderFtypSize => FileTypeBox.Size(HeaderCompatible.Length);
}
