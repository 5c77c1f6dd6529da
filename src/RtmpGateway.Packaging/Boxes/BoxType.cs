namespace RtmpGateway.Packaging.Boxes;

/// <summary>Four-character codes of the boxes, sample entries and brands this writer uses (ISO/IEC 14496-12 Annex, MP4RA).</summary>
public static class BoxType
{
    public const uint Ftyp = 'f' << 24 | 't' << 16 | 'y' << 8 | 'p';
    public const uint Styp = 's' << 24 | 't' << 16 | 'y' << 8 | 'p';
    public const uint Moov = 'm' << 24 | 'o' << 16 | 'o' << 8 | 'v';
    public const uint Mvhd = 'm' << 24 | 'v' << 16 | 'h' << 8 | 'd';
    public const uint Trak = 't' << 24 | 'r' << 16 | 'a' << 8 | 'k';
    public const uint Tkhd = 't' << 24 | 'k' << 16 | 'h' << 8 | 'd';
    public const uint Mdia = 'm' << 24 | 'd' << 16 | 'i' << 8 | 'a';
    public const uint Mdhd = 'm' << 24 | 'd' << 16 | 'h' << 8 | 'd';
    public const uint Hdlr = 'h' << 24 | 'd' << 16 | 'l' << 8 | 'r';
    public const uint Minf = 'm' << 24 | 'i' << 16 | 'n' << 8 | 'f';
    public const uint Vmhd = 'v' << 24 | 'm' << 16 | 'h' << 8 | 'd';
    public const uint Smhd = 's' << 24 | 'm' << 16 | 'h' << 8 | 'd';
    public const uint Dinf = 'd' << 24 | 'i' << 16 | 'n' << 8 | 'f';
    public const uint Dref = 'd' << 24 | 'r' << 16 | 'e' << 8 | 'f';
    public const uint Url = 'u' << 24 | 'r' << 16 | 'l' << 8 | ' ';
    public const uint Stbl = 's' << 24 | 't' << 16 | 'b' << 8 | 'l';
    public const uint Stsd = 's' << 24 | 't' << 16 | 's' << 8 | 'd';
    public const uint Stts = 's' << 24 | 't' << 16 | 't' << 8 | 's';
    public const uint Stsc = 's' << 24 | 't' << 16 | 's' << 8 | 'c';
    public const uint Stsz = 's' << 24 | 't' << 16 | 's' << 8 | 'z';
    public const uint Stco = 's' << 24 | 't' << 16 | 'c' << 8 | 'o';
    public const uint Mvex = 'm' << 24 | 'v' << 16 | 'e' << 8 | 'x';
    public const uint Trex = 't' << 24 | 'r' << 16 | 'e' << 8 | 'x';
    public const uint Moof = 'm' << 24 | 'o' << 16 | 'o' << 8 | 'f';
    public const uint Mfhd = 'm' << 24 | 'f' << 16 | 'h' << 8 | 'd';
    public const uint Traf = 't' << 24 | 'r' << 16 | 'a' << 8 | 'f';
    public const uint Tfhd = 't' << 24 | 'f' << 16 | 'h' << 8 | 'd';
    public const uint Tfdt = 't' << 24 | 'f' << 16 | 'd' << 8 | 't';
    public const uint Trun = 't' << 24 | 'r' << 16 | 'u' << 8 | 'n';
    public const uint Mdat = 'm' << 24 | 'd' << 16 | 'a' << 8 | 't';

    // Sample entries and their configuration boxes.
    public const uint Avc1 = 'a' << 24 | 'v' << 16 | 'c' << 8 | '1';
    public const uint AvcC = 'a' << 24 | 'v' << 16 | 'c' << 8 | 'C';
    public const uint Hvc1 = 'h' << 24 | 'v' << 16 | 'c' << 8 | '1';
    public const uint HvcC = 'h' << 24 | 'v' << 16 | 'c' << 8 | 'C';
    public const uint Av01 = 'a' << 24 | 'v' << 16 | '0' << 8 | '1';
    public const uint Av1C = 'a' << 24 | 'v' << 16 | '1' << 8 | 'C';
    public const uint Mp4a = 'm' << 24 | 'p' << 16 | '4' << 8 | 'a';
    public const uint Esds = 'e' << 24 | 's' << 16 | 'd' << 8 | 's';

    // Handler types (§8.4.3.3).
    public const uint Vide = 'v' << 24 | 'i' << 16 | 'd' << 8 | 'e';
    public const uint Soun = 's' << 24 | 'o' << 16 | 'u' << 8 | 'n';
}
