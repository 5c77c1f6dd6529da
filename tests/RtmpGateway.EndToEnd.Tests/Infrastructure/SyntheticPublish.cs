using System.Buffers.Binary;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>
/// FLV tags a raw client can publish without an encoder: the real avcC of an ffmpeg/x264 stream
/// (so the packager sees a real SPS), AAC LC's AudioSpecificConfig, and frames of chosen sizes.
/// The packager and the relay never decode, so frame payloads are filler in one NAL unit.
/// </summary>
public static class SyntheticPublish
{
    /// <summary>avcC of an ffmpeg/x264 1280x720 High@3.1 stream (ffprobe -show_data of its extradata).</summary>
    public static readonly byte[] AvcC = Convert.FromHexString(
        "0164001fffe1001a6764001facd94050" + "05bb0110000003001000000303c0f183" + "196001000468ef8fcbfdf8f800");

    /// <summary>AVC sequence header tag: keyframe, AVC, packet type 0, composition time 0, avcC.</summary>
    public static byte[] AvcSequenceHeader() => [0x17, 0, 0, 0, 0, .. AvcC];

    /// <summary>AAC sequence header tag: AudioSpecificConfig 0x12 0x10 = AAC LC, 44100 Hz, stereo.</summary>
    public static byte[] AacSequenceHeader() => [0xAF, 0x00, 0x12, 0x10];

    /// <summary>An AVC NALU tag of <paramref name="size"/> bytes of NAL data (one length-prefixed NAL unit).</summary>
    public static byte[] VideoTag(bool keyframe, int size, byte fill)
    {
        byte[] tag = new byte[5 + size];
        tag[0] = (byte)((keyframe ? 0x10 : 0x20) | 7);
        tag[1] = 1;
        tag.AsSpan(5).Fill(fill);
        if (size >= 4)
        {
            BinaryPrimitives.WriteInt32BigEndian(tag.AsSpan(5), size - 4);
        }

        return tag;
    }

    /// <summary>A raw AAC frame tag.</summary>
    public static byte[] AudioTag(byte fill) => [0xAF, 0x01, 0x21, 0x10, 0x05, fill];

    /// <summary>
    /// Sequence headers, then <paramref name="gops"/> GOPs of 1 s (a keyframe of
    /// <paramref name="keyframeBytes"/> and 29 small frames at 30 fps, with audio): enough for the
    /// packager to finish <paramref name="gops"/> - 1 segments.
    /// </summary>
    public static async Task SendGopsAsync(RawRtmpClient client, int gops, int keyframeBytes, uint startMs = 0)
    {
        ArgumentNullException.ThrowIfNull(client);
        await client.SendMessageAsync(6, RtmpMessageType.Video, client.StreamId, startMs, AvcSequenceHeader());
        await client.SendMessageAsync(4, RtmpMessageType.Audio, client.StreamId, startMs, AacSequenceHeader());
        for (int frame = 0; frame < gops * 30; frame++)
        {
            uint t = startMs + (uint)(frame * 1000 / 30);
            await client.SendMessageAsync(6, RtmpMessageType.Video, client.StreamId, t, VideoTag(frame % 30 == 0, frame % 30 == 0 ? keyframeBytes : 500, (byte)frame));
            await client.SendMessageAsync(4, RtmpMessageType.Audio, client.StreamId, t, AudioTag((byte)frame));
        }
    }
}
