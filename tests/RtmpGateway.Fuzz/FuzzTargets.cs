using RtmpGateway.Fuzz.Targets;

namespace RtmpGateway.Fuzz;

/// <summary>Every fuzz target by name, in the order they are worth fuzzing.</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new ChunkStreamTarget(),
        new Amf0Target(),
        new Amf3Target(),
        new FlvTarget(),
        new VideoConfigTarget(),
        new AudioSpecificConfigTarget(),
        new HandshakeTarget(),
    ];

    public static FuzzTarget? Find(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
}
