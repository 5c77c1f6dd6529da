using RtmpGateway.Media;

namespace RtmpGateway.Packaging.Live;

/// <summary>
/// One CMAF header (ftyp + moov: HLS's Media Initialization Section, DASH's Initialization Segment)
/// under its file name. A track has a new one for each codec config it carried; every segment names
/// the one it decodes with.
/// </summary>
public sealed record InitSegment(string Name, CodecConfig Config, byte[] Bytes);
