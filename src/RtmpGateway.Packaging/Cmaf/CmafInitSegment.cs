using System.Buffers;
using RtmpGateway.Media;
using RtmpGateway.Packaging.Boxes;

namespace RtmpGateway.Packaging.Cmaf;

/// <summary>
/// Writes a CMAF header (ISO/IEC 23000-19 §7.3.2.1): one FileTypeBox and one MovieBox describing one
/// track with no samples, and a MovieExtendsBox announcing that the samples come in movie fragments.
/// <code>
/// ftyp
/// moov
///   mvhd                  timescale 1000, duration 0, next_track_ID = track_ID + 1
///   trak
///     tkhd                flags enabled | in_movie; width/height (video) or volume 1.0 (audio)
///     mdia
///       mdhd              timescale = the track's timescale, language "und"
///       hdlr              'vide' / 'soun'
///       minf
///         vmhd / smhd
///         dinf/dref/url   self-contained
///         stbl
///           stsd          one sample entry: avc1+avcC, hvc1+hvcC, av01+av1C or mp4a+esds
///           stts stsc stsz stco   empty
///   mvex
///     trex                track_ID, default_sample_description_index 1
/// </code>
/// No edit list is written. Where the first PTS is after the first DTS (B-frames: e.g. x264's first frame has a
/// composition offset of two frame durations) the track's presentation starts that much after zero; the
/// fragments carry true decode times in tfdt, and playlists/MPDs reference segments by their own times,
/// so nothing is shifted to hide it. (23000-19 permits an 'elst' for that shift, but a live header is
/// written before any sample is seen.)
/// </summary>
public static class CmafInitSegment
{
    /// <summary>
    /// The movie timescale: only mvhd/tkhd durations use it, and those are 0 in a fragmented header.
    /// </summary>
    public const uint MovieTimescale = 1000;

    // Everything but the codec record: ftyp 24, moov with video sample entry about 560 bytes.
    private const int FixedSizeBound = 1024;

    /// <summary>Returns the CMAF header for the one track <paramref name="config"/> describes.</summary>
    public static byte[] Write(CodecConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        byte[] rented = ArrayPool<byte>.Shared.Rent(FixedSizeBound + config.Record.Length);
        try
        {
            var writer = new BoxWriter(rented);
            Write(ref writer, config);
            return writer.Written.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Writes the CMAF header into <paramref name="output"/>; returns the number of bytes written.</summary>
    public static int Write(CodecConfig config, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(output);
        var writer = new BoxWriter(output.GetSpan(FixedSizeBound + config.Record.Length));
        Write(ref writer, config);
        output.Advance(writer.Position);
        return writer.Position;
    }

    private static void Write(ref BoxWriter writer, CodecConfig config)
    {
        uint trackId = (uint)config.TrackId;
        bool isAudio = config.Kind == MediaKind.Audio;
        if (config.Timescale <= 0)
        {
            throw new ArgumentException($"track timescale {config.Timescale} is not positive", nameof(config));
        }

        FileTypeBox.Write(ref writer, BoxType.Ftyp, CmafBrands.HeaderMajor, 0, CmafBrands.HeaderCompatible);

        int moov = writer.StartBox(BoxType.Moov);
        MovieBoxes.WriteMvhd(ref writer, MovieTimescale, trackId + 1);

        int trak = writer.StartBox(BoxType.Trak);
        MovieBoxes.WriteTkhd(ref writer, trackId, isAudio, config.Width, config.Height);
        int mdia = writer.StartBox(BoxType.Mdia);
        MovieBoxes.WriteMdhd(ref writer, (uint)config.Timescale);
        MovieBoxes.WriteHdlr(ref writer, isAudio ? BoxType.Soun : BoxType.Vide, isAudio ? "SoundHandler" : "VideoHandler");
        int minf = writer.StartBox(BoxType.Minf);
        if (isAudio)
        {
            MovieBoxes.WriteSmhd(ref writer);
        }
        else
        {
            MovieBoxes.WriteVmhd(ref writer);
        }

        MovieBoxes.WriteDinf(ref writer);
        int stbl = writer.StartBox(BoxType.Stbl);
        int stsd = writer.StartFullBox(BoxType.Stsd, 0, 0);
        writer.WriteUInt32(1); // entry_count
        WriteSampleEntry(ref writer, config);
        writer.EndBox(stsd);
        MovieBoxes.WriteEmptySampleTables(ref writer);
        writer.EndBox(stbl);
        writer.EndBox(minf);
        writer.EndBox(mdia);
        writer.EndBox(trak);

        int mvex = writer.StartBox(BoxType.Mvex);
        MovieBoxes.WriteTrex(ref writer, trackId);
        writer.EndBox(mvex);
        writer.EndBox(moov);
    }

    private static void WriteSampleEntry(ref BoxWriter writer, CodecConfig config)
    {
        ReadOnlySpan<byte> record = config.Record.Span;
        switch (config.Codec)
        {
            case MediaCodec.H264:
                SampleEntryBoxes.WriteVisualSampleEntry(ref writer, BoxType.Avc1, config.Width, config.Height, BoxType.AvcC, record);
                break;
            case MediaCodec.Hevc:
                // 14496-15 §8.4.1: with 'hvc1' "the default and mandatory value of array_completeness is 1" for the
                // parameter set arrays, i.e. the record holds them all; 'hev1' would admit in-band ones too. Apple's
                // players accept only 'hvc1', so it is used and the record goes in as the publisher sent it.
                SampleEntryBoxes.WriteVisualSampleEntry(ref writer, BoxType.Hvc1, config.Width, config.Height, BoxType.HvcC, record);
                break;
            case MediaCodec.Av1:
                SampleEntryBoxes.WriteVisualSampleEntry(ref writer, BoxType.Av01, config.Width, config.Height, BoxType.Av1C, record);
                break;
            case MediaCodec.Aac:
                SampleEntryBoxes.WriteMp4aSampleEntry(ref writer, config.Channels, config.SampleRate, record);
                break;
            default:
                throw new ArgumentException($"codec {config.Codec} has no CMAF sample entry here", nameof(config));
        }
    }
}
