namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// End-to-end tests run one at a time: each encodes video in real time with ffmpeg, and on a
/// 2-core machine parallel encoders would starve each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection
{
    public const string Name = "end-to-end";
}
