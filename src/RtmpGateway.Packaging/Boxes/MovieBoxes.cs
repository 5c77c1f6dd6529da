using System.Text;

namespace RtmpGateway.Packaging.Boxes;

/// <summary>
/// The boxes of a fragmented file's MovieBox that carry no samples (ISO/IEC 14496-12 §8.2 - §8.8). Each
/// writer quotes the syntax it follows; times are version 0 (32-bit) because a fragmented header has
/// no durations and creation/modification times of 0 are allowed ("in seconds since midnight, Jan. 1, 1904").
/// </summary>
public static class MovieBoxes
{
    /// <summary>
    /// §8.2.2 MovieHeaderBox, version 0:
    /// <code>
    /// unsigned int(32) creation_time; unsigned int(32) modification_time;
    /// unsigned int(32) timescale; unsigned int(32) duration;
    /// template int(32) rate = 0x00010000; template int(16) volume = 0x0100;
    /// const bit(16) reserved = 0; const unsigned int(32)[2] reserved = 0;
    /// template int(32)[9] matrix = { unity }; bit(32)[6] pre_defined = 0;
    /// unsigned int(32) next_track_ID;
    /// </code>
    /// duration 0: "If the duration cannot be determined then duration is set to all 1s"; for a movie
    /// whose samples are all in fragments §8.8.1 leaves the moov duration at 0 (no samples in moov).
    /// </summary>
    public static void WriteMvhd(ref BoxWriter writer, uint timescale, uint nextTrackId)
    {
        int box = writer.StartFullBox(BoxType.Mvhd, 0, 0);
        writer.WriteUInt32(0); // creation_time
        writer.WriteUInt32(0); // modification_time
        writer.WriteUInt32(timescale);
        writer.WriteUInt32(0); // duration
        writer.WriteFixed16Dot16(1); // rate 1.0
        writer.WriteFixed8Dot8(1); // volume 1.0
        writer.WriteZeros(2 + 8); // reserved
        writer.WriteUnityMatrix();
        writer.WriteZeros(24); // pre_defined
        writer.WriteUInt32(nextTrackId);
        writer.EndBox(box);
    }

    /// <summary>
    /// §8.3.2 TrackHeaderBox, version 0, flags track_enabled (0x1) | track_in_movie (0x2):
    /// <code>
    /// unsigned int(32) creation_time; unsigned int(32) modification_time;
    /// unsigned int(32) track_ID; const unsigned int(32) reserved = 0; unsigned int(32) duration;
    /// const unsigned int(32)[2] reserved = 0;
    /// template int(16) layer = 0; template int(16) alternate_group = 0;
    /// template int(16) volume = {if track_is_audio 0x0100 else 0};
    /// const unsigned int(16) reserved = 0;
    /// template int(32)[9] matrix = { unity };
    /// unsigned int(32) width; unsigned int(32) height; // 16.16 fixed point
    /// </code>
    /// </summary>
    public static void WriteTkhd(ref BoxWriter writer, uint trackId, bool isAudio, int width, int height)
    {
        const uint TrackEnabled = 0x1;
        const uint TrackInMovie = 0x2;
        int box = writer.StartFullBox(BoxType.Tkhd, 0, TrackEnabled | TrackInMovie);
        writer.WriteUInt32(0); // creation_time
        writer.WriteUInt32(0); // modification_time
        writer.WriteUInt32(trackId);
        writer.WriteUInt32(0); // reserved
        writer.WriteUInt32(0); // duration
        writer.WriteZeros(8); // reserved
        writer.WriteUInt16(0); // layer
        writer.WriteUInt16(0); // alternate_group
        writer.WriteFixed8Dot8(isAudio ? (byte)1 : (byte)0); // volume
        writer.WriteUInt16(0); // reserved
        writer.WriteUnityMatrix();
        writer.WriteFixed16Dot16(isAudio ? 0 : width);
        writer.WriteFixed16Dot16(isAudio ? 0 : height);
        writer.EndBox(box);
    }

    /// <summary>
    /// §8.4.2 MediaHeaderBox, version 0:
    /// <code>
    /// unsigned int(32) creation_time; unsigned int(32) modification_time;
    /// unsigned int(32) timescale; unsigned int(32) duration;
    /// bit(1) pad = 0; unsigned int(5)[3] language; // ISO-639-2/T language code
    /// unsigned int(16) pre_defined = 0;
    /// </code>
    /// "each character is packed as the difference between its ASCII value and 0x60".
    /// </summary>
    public static void WriteMdhd(ref BoxWriter writer, uint timescale, string language = "und")
    {
        ArgumentNullException.ThrowIfNull(language);
        if (language.Length != 3 || !language.All(c => c is >= 'a' and <= 'z'))
        {
            throw new ArgumentException("an ISO 639-2/T code of three lower-case letters is expected", nameof(language));
        }

        int box = writer.StartFullBox(BoxType.Mdhd, 0, 0);
        writer.WriteUInt32(0); // creation_time
        writer.WriteUInt32(0); // modification_time
        writer.WriteUInt32(timescale);
        writer.WriteUInt32(0); // duration
        writer.WriteUInt16((ushort)(((language[0] - 0x60) << 10) | ((language[1] - 0x60) << 5) | (language[2] - 0x60)));
        writer.WriteUInt16(0); // pre_defined
        writer.EndBox(box);
    }

    /// <summary>
    /// §8.4.3 HandlerBox:
    /// <code>
    /// unsigned int(32) pre_defined = 0; unsigned int(32) handler_type;
    /// const unsigned int(32)[3] reserved = 0;
    /// string name; // null-terminated UTF-8
    /// </code>
    /// </summary>
    public static void WriteHdlr(ref BoxWriter writer, uint handlerType, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length > 64)
        {
            throw new ArgumentException("a handler name of at most 64 characters is expected", nameof(name));
        }

        int box = writer.StartFullBox(BoxType.Hdlr, 0, 0);
        writer.WriteUInt32(0); // pre_defined
        writer.WriteFourCc(handlerType);
        writer.WriteZeros(12); // reserved
        Span<byte> utf8 = stackalloc byte[64 * 3];
        int length = Encoding.UTF8.GetBytes(name, utf8);
        writer.WriteBytes(utf8[..length]);
        writer.WriteUInt8(0);
        writer.EndBox(box);
    }

    /// <summary>
    /// §12.1.2 VideoMediaHeaderBox, flags 1:
    /// <c>template unsigned int(16) graphicsmode = 0; template unsigned int(16)[3] opcolor = {0, 0, 0};</c>
    /// </summary>
    public static void WriteVmhd(ref BoxWriter writer)
    {
        int box = writer.StartFullBox(BoxType.Vmhd, 0, 1);
        writer.WriteZeros(2 + 6);
        writer.EndBox(box);
    }

    /// <summary>§12.2.2 SoundMediaHeaderBox: <c>template int(16) balance = 0; const unsigned int(16) reserved = 0;</c></summary>
    public static void WriteSmhd(ref BoxWriter writer)
    {
        int box = writer.StartFullBox(BoxType.Smhd, 0, 0);
        writer.WriteZeros(4);
        writer.EndBox(box);
    }

    /// <summary>
    /// §8.7.1 DataInformationBox with §8.7.2 DataReferenceBox holding one DataEntryUrlBox whose flag 1 says
    /// "the media data is in the same file as the Movie Box" (no location string follows).
    /// </summary>
    public static void WriteDinf(ref BoxWriter writer)
    {
        int dinf = writer.StartBox(BoxType.Dinf);
        int dref = writer.StartFullBox(BoxType.Dref, 0, 0);
        writer.WriteUInt32(1); // entry_count
        int url = writer.StartFullBox(BoxType.Url, 0, 1);
        writer.EndBox(url);
        writer.EndBox(dref);
        writer.EndBox(dinf);
    }

    /// <summary>
    /// The empty sample tables that follow stsd in a fragmented track (§8.8.1: the moov "may contain no
    /// samples"): TimeToSampleBox, SampleToChunkBox and ChunkOffsetBox with entry_count 0, and a
    /// SampleSizeBox with sample_size 0, sample_count 0.
    /// </summary>
    public static void WriteEmptySampleTables(ref BoxWriter writer)
    {
        int stts = writer.StartFullBox(BoxType.Stts, 0, 0);
        writer.WriteUInt32(0); // entry_count
        writer.EndBox(stts);
        int stsc = writer.StartFullBox(BoxType.Stsc, 0, 0);
        writer.WriteUInt32(0); // entry_count
        writer.EndBox(stsc);
        int stsz = writer.StartFullBox(BoxType.Stsz, 0, 0);
        writer.WriteUInt32(0); // sample_size
        writer.WriteUInt32(0); // sample_count
        writer.EndBox(stsz);
        int stco = writer.StartFullBox(BoxType.Stco, 0, 0);
        writer.WriteUInt32(0); // entry_count
        writer.EndBox(stco);
    }

    /// <summary>
    /// §8.8.3 TrackExtendsBox:
    /// <code>
    /// unsigned int(32) track_ID; unsigned int(32) default_sample_description_index;
    /// unsigned int(32) default_sample_duration; unsigned int(32) default_sample_size;
    /// unsigned int(32) default_sample_flags;
    /// </code>
    /// Duration, size and flags are 0: every trun this gateway writes carries all three per sample.
    /// </summary>
    public static void WriteTrex(ref BoxWriter writer, uint trackId)
    {
        int box = writer.StartFullBox(BoxType.Trex, 0, 0);
        writer.WriteUInt32(trackId);
        writer.WriteUInt32(1); // default_sample_description_index: the one entry in stsd
        writer.WriteUInt32(0);
        writer.WriteUInt32(0);
        writer.WriteUInt32(0);
        writer.EndBox(box);
    }
}
