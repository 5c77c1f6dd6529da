using System.Globalization;

namespace RtmpGateway.Bench.Peers;

/// <summary>
/// The gateway as users run it: its own process (the Release build of RtmpGateway.Server), passthrough
/// (no transcoding), the product's defaults spelled out: 2 s segments, LL-HLS on with 0.5 s parts,
/// 6 segments per playlist.
/// </summary>
internal sealed class GatewayServer : StreamingServer
{
    private GatewayServer(BenchProcess process, int rtmpPort, int httpPort)
        : base("gateway", process, rtmpPort, httpPort)
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
                "--Packaging:SegmentTarget", "00:00:02",
                "--Packaging:PartTarget", "00:00:00.500",
                "--Packaging:LowLatency", "true",
                "--Packaging:PlaylistSegments", "6",
            ]);
        await WaitUntilListeningAsync(process, "the gateway", cancellationToken, rtmp, http);
        return new GatewayServer(process, rtmp, http);
    }

    public override Uri MediaPlaylist(string stream) => new(HttpBase, $"live/{stream}/source/index.m3u8");
}
