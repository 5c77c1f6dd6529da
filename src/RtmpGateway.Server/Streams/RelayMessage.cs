using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Server.Streams;

/// <summary>An audio, video or data message as the publisher sent it, kept for RTMP viewers. Immutable.</summary>
public sealed record RelayMessage(RtmpMessageType Type, uint Timestamp, byte[] Payload)
{
    /// <summary>An AVC/HEVC keyframe that is not a sequence header (FLV VideoTagHeader, legacy or enhanced).</summary>
    public bool IsVideoKeyframe => Type == RtmpMessageType.Video && Payload.Length >= 2
        && ((Payload[0] & 0x80) != 0
            ? ((Payload[0] >> 4) & 0x07) == 1 && (Payload[0] & 0x0F) is 1 or 3
            : (Payload[0] >> 4) == 1 && Payload[1] == 1);

    /// <summary>A video or audio sequence header (avcC / hvcC / av1C / AudioSpecificConfig).</summary>
    public bool IsSequenceHeader => Payload.Length >= 2 && Type switch
    {
        // Legacy CodecID 7 (AVC) or 12 (the common non-Adobe HEVC); Enhanced RTMP PacketType 0 (SequenceStart).
        RtmpMessageType.Video => (Payload[0] & 0x80) != 0 ? (Payload[0] & 0x0F) == 0 : Payload[1] == 0 && (Payload[0] & 0x0F) is 7 or 12,
        RtmpMessageType.Audio => (Payload[0] >> 4) == 10 && Payload[1] == 0,
        _ => false,
    };
}
