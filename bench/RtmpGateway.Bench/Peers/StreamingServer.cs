using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RtmpGateway.Bench.Peers;

/// <summary>
/// A server under test, started by the bench on loopback ports it picked: RTMP in, HLS out over HTTP.
/// Disposing stops its whole process tree by PID.
/// </summary>
internal abstract class StreamingServer : IAsyncDisposable
{
    protected StreamingServer(string name, BenchProcess process, int rtmpPort, int httpPort)
    {
        Name = name;
        Process = process;
        RtmpPort = rtmpPort;
        HttpBase = new Uri($"http://127.0.0.1:{httpPort}/");
    }

    public string Name { get; }

    public BenchProcess Process { get; }

    public int RtmpPort { get; }

    public Uri HttpBase { get; }

    public string RtmpUrl(string stream) => $"rtmp://127.0.0.1:{RtmpPort}/live/{stream}";

    /// <summary>The stream's HLS media playlist (the one a player reloads).</summary>
    public abstract Uri MediaPlaylist(string stream);

    /// <summary>
    /// The publisher's media time (s) at which the stream's first segment starts; 0 where the server
    /// segments what the publisher sent from its first frame.
    /// </summary>
    public virtual double FirstSegmentMediaStart(string stream) => 0;

    /// <summary>Places bytes where the server's HTTP side serves static files from disk; null when it has none.</summary>
    public virtual Uri? PutStaticFile(string fileName, byte[] bytes) => null;

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    /// <summary>A loopback port free now (the bench binds it an instant later; nothing else here races for it).</summary>
    protected static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until both ports accept connections; throws with the server's log if it exits or takes too long.</summary>
    protected static async Task WaitUntilListeningAsync(BenchProcess process, string name, CancellationToken cancellationToken, params int[] ports)
    {
        var deadline = Stopwatch.StartNew();
        foreach (int port in ports)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(30))
                {
                    string log = process.ReadLog();
                    await process.DisposeAsync();
                    throw new InvalidOperationException($"{name} did not start listening on {port}: {log}");
                }

                using var client = new TcpClient();
                try
                {
                    await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                    break;
                }
                catch (SocketException)
                {
                    await Task.Delay(100, cancellationToken);
                }
            }
        }
    }
}
