namespace RtmpGateway.Transcoding.Ladder;

/// <summary>
/// One transcoded rendition of a ladder preset. Rates are bits per second, <see cref="BufferSize"/> is
/// bits (the VBV buffer). <see cref="Width"/> x <see cref="Height"/> are the preset's nominal size until
/// <see cref="LadderPreset.RungsFor"/> resolves them against a source.
/// </summary>
/// <param name="Name">The rendition's name in URLs and playlists, e.g. "720p".</param>
/// <param name="Level">H.264 level such as "3.1"; null lets x264 choose. Raised when the source's frame rate needs more (see <see cref="H264Level"/>).</param>
/// <param name="Tune">x264 tune, e.g. "zerolatency"; null for none.</param>
public sealed record LadderRung(
    string Name,
    int Width,
    int Height,
    long BitRate,
    long MaxRate,
    long BufferSize,
    string Preset,
    string Profile,
    string? Level = null,
    string? Tune = null);
