using System.Globalization;

namespace RtmpGateway.Bench.Peers;

/// <summary>
/// The gateway as users run it: its own process (the Release build of RtmpGateway.Server), passthrough
/// (no transcoding), with the product's packaging defaults: a segment ends at the first keyframe after
/// 1 s (so 2 s segments with the bench's 2 s GOP), LL-HLS on with 0.5 s parts, 10 segments per playlist,
/// 13 kept in memory. One setting differs: the HTTP rate limit is off (--Http:RateLimitPerSecond 0).
/// Its default, 200 requests/s per client address, is meant for players; wrk in scenario 4 is one
/// client address making thousands a second, and nginx has no such limit either.
/// </summary>
internal sealed class GatewayServer : StreamingServer
{
    public const string Label = "gateway";

    private GatewayServer(BenchProcess process, int rtmpPort, int httpPort)
        : base(Label, process, rtmpPort, httpPort)
    {
    }

    public static async Task<StreamingServer> StartAsync(string workDirectory, CancellationToken cancellationToken)
    {
        string dll = Path.Combine(BenchPaths.RepoRoot, "src", "RtmpGateway.Server", "bin", "Release", "net10.0", "RtmpGateway.Server.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: build it in Release first (bash bench/run.sh does)");
        }

        int rtmp = FreePort();
        int http = FreePort();
        BenchProcess process = BenchProcess.Start(
            Path.Combine(workDirectory, "gateway.log"),
            "dotnet",
            [
                dll,
                "--urls", $"http://127.0.0.1:{http}",
                "--Rtmp:Port", rtmp.ToString(CultureInfo.InvariantCulture),
                "--Rtmp:BindAddress", "127.0.0.1",
                "--Transcoding:Preset", "passthrough",
                "--Http:RateLimitPerSecond", "0",
            ]);
        await WaitUntilListeningAsync(process, "the gateway", cancellationToken, rtmp, http);
        return new GatewayServer(process, rtmp, http);
    }

    public override Uri MediaPlaylist(string stream) => new(HttpBase, $"live/{stream}/source/index.m3u8");
}
