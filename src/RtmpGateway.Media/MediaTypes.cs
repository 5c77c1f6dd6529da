namespace RtmpGateway.Media;

/// <summary>The kind of elementary stream a track carries.</summary>
public enum MediaKind
{
    Video,
    Audio,
}

/// <summary>The codecs this gateway accepts from a publisher.</summary>
public enum MediaCodec
{
    H264,
    Hevc,
    Av1,
    Aac,
}

/// <summary>FLV TagType (FLV spec E.4.1): 8 = audio, 9 = video, 18 = script data.</summary>
public enum FlvTagType : byte
{
    Audio = 8,
    Video = 9,
    ScriptData = 18,
}
