using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RtmpGateway.Bench.Peers;

/// <summary>
/// Node-Media-Server from the npm registry (version pinned in bench/peers/node-media-server), HLS
/// through its trans task: per stream, one ffmpeg (its child) pulls the stream back over RTMP and
/// writes TS segments and a playlist to disk, served by its Express static handler.
/// </summary>
internal sealed partial class NodeMediaServerPeer : StreamingServer
{
    private readonly string _mediaRoot;

    private NodeMediaServerPeer(string name, BenchProcess process, int rtmpPort, int httpPort, string mediaRoot)
        : base(name, process, rtmpPort, httpPort)
    {
        _mediaRoot = mediaRoot;
    }

    public static string Folder => Path.Combine(BenchPaths.RepoRoot, "bench", "peers", "node-media-server");

    /// <summary>The installed version, for the table's header ("Node-Media-Server 2.7.4").</summary>
    public static string Label
    {
        get
        {
            string package = Path.Combine(Folder, "node_modules", "node-media-server", "package.json");
            if (!File.Exists(package))
            {
                return "Node-Media-Server";
            }

            using var doc = JsonDocument.Parse(File.ReadAllText(package));
            return "Node-Media-Server " + doc.RootElement.GetProperty("version").GetString();
        }
    }

    public static async Task<StreamingServer> StartAsync(string workDirectory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(Path.Combine(Folder, "node_modules", "node-media-server")))
        {
            throw new InvalidOperationException($"Node-Media-Server is not installed in {Folder}: run bash bench/setup-peers.sh");
        }

        string mediaRoot = Path.Combine(workDirectory, "nms-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(mediaRoot);
        int rtmp = FreePort();
        int http = FreePort();
        BenchProcess process = BenchProcess.Start(
            Path.Combine(workDirectory, "node-media-server.log"),
            "node",
            [Path.Combine(Folder, "server.js")],
            Folder,
            new Dictionary<string, string>
            {
                ["NMS_RTMP_PORT"] = rtmp.ToString(CultureInfo.InvariantCulture),
                ["NMS_HTTP_PORT"] = http.ToString(CultureInfo.InvariantCulture),
                ["NMS_MEDIAROOT"] = mediaRoot,
                ["NMS_FFMPEG"] = "/usr/bin/ffmpeg",
            });
        await WaitUntilListeningAsync(process, "Node-Media-Server", cancellationToken, rtmp, http);
        return new NodeMediaServerPeer(Label, process, rtmp, http, mediaRoot);
    }

    public override Uri MediaPlaylist(string stream) => new(HttpBase, $"live/{stream}/index.m3u8");

    /// <summary>ffmpeg's "start:" for its RTMP input of this stream, as server.js prints it.</summary>
    public override double FirstSegmentMediaStart(string stream)
    {
        string? input = null;
        foreach (string line in Process.ReadLog().Split('\n'))
        {
            if (InputLine().Match(line) is { Success: true } i)
            {
                input = i.Groups[1].Value;
            }
            else if (input == stream && StartLine().Match(line) is { Success: true } s)
            {
                return double.Parse(s.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no ffmpeg input start logged for {stream}");
    }

    public override Uri? PutStaticFile(string fileName, byte[] bytes)
    {
        string folder = Path.Combine(_mediaRoot, "served");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, fileName), bytes);
        return new Uri(HttpBase, "served/" + fileName);
    }

    [GeneratedRegex(@"Input #\d+, flv, from 'rtmp://[^']*/live/([^'/]+)'")]
    private static partial Regex InputLine();

    [GeneratedRegex(@"Duration: [^,]*, start: (-?[0-9.]+)")]
    private static partial Regex StartLine();
}
