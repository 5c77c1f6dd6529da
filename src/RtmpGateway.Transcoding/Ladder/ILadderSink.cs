using RtmpGateway.Media;

namespace RtmpGateway.Transcoding.Ladder;

/// <summary>
/// Receives a <see cref="LadderTranscoder"/>'s output. Calls come from the transcoder's threads, never
/// from <see cref="LadderTranscoder.Push"/>'s caller; with <see cref="LadderParallelism.ThreadPerRung"/>
/// different rungs are delivered concurrently, so an implementation must be safe for calls about
/// different rungs at once. For one rung, calls are sequential and in decode order. A slow sink slows
/// the transcoder, which then drops source frames (see <see cref="OnDropped"/>); it must not call back
/// into the transcoder's <c>Dispose</c>/<c>Complete</c> wait.
/// </summary>
public interface ILadderSink
{
    /// <summary>The rung's avcC, made from the encoder's global header; once per rung, before its first access unit.</summary>
    void OnRungConfig(string rung, CodecConfig config);

    /// <summary>
    /// One encoded access unit: DTS/PTS in 90 kHz ticks on the source's clock (a keyframe has exactly the
    /// DTS and PTS of the source keyframe it mirrors), payload as 4-byte length-prefixed NAL units.
    /// The payload is not reused by the transcoder: the sink may keep it.
    /// </summary>
    void OnRungAccessUnit(string rung, in AccessUnit unit);

    /// <summary>
    /// Frames were lost for <paramref name="rung"/>: source frames dropped because transcoding fell
    /// behind real time (the rung resumes at the next source keyframe), a frame the decoder rejected, or
    /// a failure that ended the rung. The caller logs it; <paramref name="reason"/> says which and how many.
    /// </summary>
    void OnDropped(string rung, string reason);
}
