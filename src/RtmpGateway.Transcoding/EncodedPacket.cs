namespace RtmpGateway.Transcoding;

/// <summary>
/// One access unit from <see cref="VideoEncoder"/>, copied out of FFmpeg: timestamps in 90 kHz ticks
/// (DTS may be negative at the start when B-frames are used: shift, do not clamp), and the payload as
/// 4-byte length-prefixed NAL units, the form <c>RtmpGateway.Media.AccessUnit</c> carries.
/// </summary>
public sealed record EncodedPacket(long Pts, long Dts, bool IsKeyframe, ReadOnlyMemory<byte> Payload);
