namespace RtmpGateway.Packaging.Cmaf;

/// <summary>
/// One sample of a CMAF fragment (ISO/IEC 14496-12 §8.8.8 trun entry): decode time and duration in
/// the track's timescale, composition offset (PTS - DTS), sync flag, and the sample's bytes
/// (length-prefixed NAL units for AVC/HEVC, OBUs for AV1, one raw frame for AAC).
/// </summary>
public readonly record struct CmafSample(long Dts, int Duration, int CompositionOffset, bool IsSync, ReadOnlyMemory<byte> Data);
