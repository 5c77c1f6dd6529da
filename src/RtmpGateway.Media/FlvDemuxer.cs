using System.Buffers.Binary;

namespace RtmpGateway.Media;

/// <summary>
/// Demuxes the audio and video tags of one published stream (FLV spec E.4.2/E.4.3, Enhanced RTMP v1/v2
/// ExVideoTagHeader) into codec configs and access units with unwrapped, monotonic timestamps (jitter
/// clamped, jumps re-based: <see cref="TimelineRepair"/>).
/// One instance per stream; not thread-safe.
/// </summary>
public sealed class FlvDemuxer
{
    // FLV E.4.3.1 VideoTagHeader
    private const int FrameTypeKey = 1;
    private const int FrameTypeCommand = 5; // "video info/command frame"
    private const int CodecIdAvc = 7;
    private const int CodecIdHevcLegacy = 12; // de-facto (non-Adobe) HEVC-in-FLV, same layout as AVC

    // Enhanced RTMP PacketType
    private const int PacketSequenceStart = 0;
    private const int PacketCodedFrames = 1;
    private const int PacketSequenceEnd = 2;
    private const int PacketCodedFramesX = 3;
    private const int PacketMetadata = 4;
    private const int PacketMpeg2TsSequenceStart = 5;
    private const int PacketMultitrack = 6;
    private const int PacketModEx = 7;

    // FourCC values, big-endian as they appear on the wire.
    private const uint FourCcAvc1 = 0x61766331; // "avc1"
    private const uint FourCcHvc1 = 0x68766331; // "hvc1"
    private const uint FourCcAv01 = 0x61763031; // "av01"

    // FLV E.4.2.1 AudioTagHeader
    private const int SoundFormatAac = 10;

    /// <summary>
    /// How far the unwrapped timeline may run either side of zero: 2^38 ms, 8.7 years. A real
    /// stream stays within 49.7 days of its first 32-bit timestamp plus its running time; only
    /// timestamps jumping by about 2^31 ms per message, each read as a wrap, get further. Within the
    /// limit a DTS in ticks (ms times at most 2^24 - 1, the largest AudioSpecificConfig rate, or
    /// 90 000) stays far inside a long.
    /// </summary>
    public const long MaxTimelineMs = 1L << 38;

    private readonly TimestampUnwrapper _clock = new();
    private readonly TimelineRepair _timeline;

    public FlvDemuxer()
        : this(new TimelineRepair())
    {
    }

    /// <param name="timeline">How timestamp jumps and jitter are repaired (one instance per stream).</param>
    public FlvDemuxer(TimelineRepair timeline)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        _timeline = timeline;
    }

    public CodecConfig? Video { get; private set; }

    public CodecConfig? Audio { get; private set; }

    /// <summary>Frames that arrived before their track's sequence header (dropped).</summary>
    public long DroppedBeforeConfig { get; private set; }

    /// <summary>
    /// Handles one FLV tag body (= RTMP audio/video message payload). <paramref name="timestampMs"/> is the
    /// 32-bit RTMP message timestamp. Script data is ignored. Malformed or unsupported input throws
    /// <see cref="MediaFormatException"/>, which ends this stream.
    /// </summary>
    public void Demux(FlvTagType type, uint timestampMs, ReadOnlyMemory<byte> tagBody, IMediaSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (tagBody.IsEmpty)
        {
            // An empty audio/video message carries nothing (some publishers send one before the first header).
            return;
        }

        switch (type)
        {
            case FlvTagType.Video:
                DemuxVideo(timestampMs, tagBody, sink);
                break;
            case FlvTagType.Audio:
                DemuxAudio(timestampMs, tagBody, sink);
                break;
            default:
                break;
        }
    }

    private void DemuxVideo(uint timestampMs, ReadOnlyMemory<byte> tagBody, IMediaSink sink)
    {
        ReadOnlySpan<byte> body = tagBody.Span;
        byte b0 = body[0];
        if ((b0 & 0x80) != 0)
        {
            DemuxExVideo(timestampMs, tagBody, sink);
            return;
        }

        // UB[4] FrameType | UB[4] CodecID
        int frameType = b0 >> 4;
        int codecId = b0 & 0x0F;
        if (frameType == FrameTypeCommand)
        {
            return;
        }

        MediaCodec codec = codecId switch
        {
            CodecIdAvc => MediaCodec.H264,
            CodecIdHevcLegacy => MediaCodec.Hevc,
            _ => throw new MediaFormatException(MediaErrorReason.UnsupportedCodec, $"FLV video CodecID {codecId} is not supported (7 = AVC expected)"),
        };

        // "IF CodecID == 7: AVCPacketType UI8; CompositionTime SI24 (IF AVCPacketType == 1: composition time offset, ELSE 0)"
        if (body.Length < 5)
        {
            throw new MediaFormatException(MediaErrorReason.TruncatedTag, $"AVC video tag of {body.Length} byte(s) is shorter than its 5-byte header");
        }

        int packetType = body[1];
        switch (packetType)
        {
            case 0:
                OnConfig(MediaKind.Video, codec, tagBody.Span[5..], sink);
                break;
            case 1:
                OnVideoFrame(codec, timestampMs, ReadSi24(body[2..]), frameType == FrameTypeKey, tagBody[5..], sink);
                break;
            case 2:
                break; // AVC end of sequence: "lower level NALU sequence ender is not required or supported"
            default:
                throw new MediaFormatException(MediaErrorReason.InvalidPacketType, $"AVCPacketType {packetType} is not defined");
        }
    }

    /// <summary>
    /// Enhanced RTMP ExVideoTagHeader:
    /// <code>
    /// IsExHeader UB[1] (= 1) | FrameType UB[3] | PacketType UB[4]
    /// FourCC UI32 ("avc1", "hvc1", "av01", "vp09", ...)
    /// PacketType 1 (CodedFrames) for avc1/hvc1: CompositionTime SI24, then the data; 3 (CodedFramesX): the data, cts = 0.
    /// </code>
    /// </summary>
    private void DemuxExVideo(uint timestampMs, ReadOnlyMemory<byte> tagBody, IMediaSink sink)
    {
        ReadOnlySpan<byte> body = tagBody.Span;
        int frameType = (body[0] >> 4) & 0x07;
        int packetType = body[0] & 0x0F;
        if (packetType is PacketMultitrack or PacketModEx)
        {
            // Enhanced RTMP v2 multitrack and ModEx wrappers are not accepted: say so instead of misreading them.
            throw new MediaFormatException(
                MediaErrorReason.UnsupportedCodec,
                $"Enhanced RTMP video PacketType {(packetType == PacketMultitrack ? "Multitrack" : "ModEx")} is not supported");
        }

        if (frameType == FrameTypeCommand && packetType != PacketMetadata)
        {
            // v2: "if (videoPacketType != Metadata && videoFrameType == Command) videoCommand = UI8": no FourCC, no media.
            return;
        }

        if (body.Length < 5)
        {
            throw new MediaFormatException(MediaErrorReason.TruncatedTag, $"Enhanced RTMP video tag of {body.Length} byte(s) has no complete FourCC");
        }

        uint fourCc = BinaryPrimitives.ReadUInt32BigEndian(body[1..]);
        MediaCodec codec = fourCc switch
        {
            FourCcAvc1 => MediaCodec.H264,
            FourCcHvc1 => MediaCodec.Hevc,
            FourCcAv01 => MediaCodec.Av1,
            _ => throw new MediaFormatException(
                MediaErrorReason.UnsupportedCodec, $"Enhanced RTMP video FourCC '{FourCcText(fourCc)}' is not supported"),
        };

        switch (packetType)
        {
            case PacketSequenceStart:
                OnConfig(MediaKind.Video, codec, tagBody.Span[5..], sink);
                break;
            case PacketCodedFrames when codec is MediaCodec.H264 or MediaCodec.Hevc:
                if (body.Length < 8)
                {
                    throw new MediaFormatException(MediaErrorReason.TruncatedTag, $"Enhanced RTMP CodedFrames tag of {body.Length} byte(s) has no CompositionTime");
                }

                OnVideoFrame(codec, timestampMs, ReadSi24(body[5..]), frameType == FrameTypeKey, tagBody[8..], sink);
                break;
            case PacketCodedFrames:
            case PacketCodedFramesX:
                OnVideoFrame(codec, timestampMs, 0, frameType == FrameTypeKey, tagBody[5..], sink);
                break;
            case PacketSequenceEnd:
            case PacketMetadata: // AMF-encoded colorInfo (HDR) metadata; not needed for packaging
            case PacketMpeg2TsSequenceStart: // AV1 MPEG-2 TS descriptor; the av1C SequenceStart is the one used
                break;
            default:
                throw new MediaFormatException(MediaErrorReason.InvalidPacketType, $"Enhanced RTMP video PacketType {packetType} is not defined");
        }
    }

    private void DemuxAudio(uint timestampMs, ReadOnlyMemory<byte> tagBody, IMediaSink sink)
    {
        ReadOnlySpan<byte> body = tagBody.Span;
        // UB[4] SoundFormat | UB[2] SoundRate | UB[1] SoundSize | UB[1] SoundType. For AAC "the SoundRate and
        // SoundType ... are ignored"; the AudioSpecificConfig is authoritative.
        int soundFormat = body[0] >> 4;
        if (soundFormat != SoundFormatAac)
        {
            throw new MediaFormatException(MediaErrorReason.UnsupportedCodec, $"FLV SoundFormat {soundFormat} is not supported (10 = AAC expected)");
        }

        if (body.Length < 2)
        {
            throw new MediaFormatException(MediaErrorReason.TruncatedTag, "AAC audio tag has no AACPacketType");
        }

        int packetType = body[1];
        switch (packetType)
        {
            case 0:
                OnConfig(MediaKind.Audio, MediaCodec.Aac, body[2..], sink);
                break;
            case 1:
                OnAudioFrame(timestampMs, tagBody[2..], sink);
                break;
            default:
                throw new MediaFormatException(MediaErrorReason.InvalidPacketType, $"AACPacketType {packetType} is not defined");
        }
    }

    /// <summary>
    /// A sequence header carries no media time (publishers often stamp it 0 whatever the clock says), so it
    /// does not feed the unwrapper; only coded frames do.
    /// </summary>
    private void OnConfig(MediaKind kind, MediaCodec codec, ReadOnlySpan<byte> record, IMediaSink sink)
    {
        CodecConfig? current = kind == MediaKind.Video ? Video : Audio;
        if (current is not null && current.Codec == codec && current.Record.Span.SequenceEqual(record))
        {
            return; // an identical repeated sequence header is not a change
        }

        CodecConfig config = codec switch
        {
            MediaCodec.H264 => CodecConfig.FromAvcRecord(record),
            MediaCodec.Hevc => CodecConfig.FromHevcRecord(record),
            MediaCodec.Av1 => CodecConfig.FromAv1Record(record),
            _ => CodecConfig.FromAudioSpecificConfig(record),
        };

        if (kind == MediaKind.Video)
        {
            Video = config;
        }
        else
        {
            Audio = config;
        }

        sink.OnCodecConfig(config);
    }

    private void OnVideoFrame(MediaCodec codec, uint timestampMs, int cts, bool keyframe, ReadOnlyMemory<byte> payload, IMediaSink sink)
    {
        CodecConfig? config = Video;
        if (config is null || config.Codec != codec)
        {
            DroppedBeforeConfig++;
            return;
        }

        long ms = _timeline.Repair(MediaKind.Video, Unwrap(timestampMs), sink);
        long dts = ms * 90;
        // PTS = DTS + CompositionTime; a repaired DTS carries its PTS along, so the offset is kept.
        long pts = (ms + cts) * 90;
        sink.OnAccessUnit(new AccessUnit(config, dts, pts, keyframe, payload));
    }

    private void OnAudioFrame(uint timestampMs, ReadOnlyMemory<byte> payload, IMediaSink sink)
    {
        CodecConfig? config = Audio;
        if (config is null)
        {
            DroppedBeforeConfig++;
            return;
        }

        long ms = _timeline.Repair(MediaKind.Audio, Unwrap(timestampMs), sink);
        long ticks = MillisecondsToTicks(ms, config.Timescale);
        sink.OnAccessUnit(new AccessUnit(config, ticks, ticks, true, payload));
    }

    private long Unwrap(uint timestampMs)
    {
        long ms = _clock.Unwrap(timestampMs);
        if (ms is > MaxTimelineMs or < -MaxTimelineMs)
        {
            throw new MediaFormatException(
                MediaErrorReason.TimestampOutOfRange, $"timestamp {timestampMs} unwraps to {ms} ms, beyond the {MaxTimelineMs} ms a stream may span");
        }

        return ms;
    }

    /// <summary>ms * rate / 1000, rounded to nearest (halves away from zero).</summary>
    public static long MillisecondsToTicks(long ms, int rate)
    {
        long n = ms * rate;
        return n >= 0 ? (n + 500) / 1000 : -((-n + 500) / 1000);
    }

    private static int ReadSi24(ReadOnlySpan<byte> b) => ((b[0] << 24) | (b[1] << 16) | (b[2] << 8)) >> 8;

    private static string FourCcText(uint fourCc)
    {
        Span<char> chars = stackalloc char[4];
        for (int i = 0; i < 4; i++)
        {
            int c = (int)(fourCc >> (24 - (8 * i))) & 0xFF;
            chars[i] = c is >= 0x20 and < 0x7F ? (char)c : '?';
        }

        return new string(chars);
    }
}
