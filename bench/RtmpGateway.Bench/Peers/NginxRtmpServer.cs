namespace RtmpGateway.Bench.Peers;

/// <summary>
/// nginx with the RTMP module from Debian (libnginx-mod-rtmp), HLS on: 2 s fragments, 20 s of
/// playlist (10 fragments, as the gateway's default playlist), written to disk and served by nginx's
/// own http module. Run in the foreground (daemon off) with a config and prefix of its own, so the
/// master is the bench's child.
/// For RTMP viewers (scenario 5) with one worker process: a live stream exists only in the worker
/// that accepted its publisher, and a viewer that another worker accepted gets no media at all (31 of
/// 50 ffmpeg viewers with 2 workers). rtmp_auto_push, the module's relay of each stream to the other
/// workers, did not help with Debian's build: the push is created, no connection reaches the other
/// worker, 31 of 50 again (upstream issues report it broken since nginx 1.9, and advise one worker).
/// Scenario 5 measures CPU seconds, not throughput.
/// </summary>
internal sealed class NginxRtmpServer : StreamingServer
{
    public const string Label = "nginx-rtmp";

    private readonly string _staticDirectory;

    private NginxRtmpServer(BenchProcess process, int rtmpPort, int httpPort, string staticDirectory)
        : base(Label, process, rtmpPort, httpPort)
    {
        _staticDirectory = staticDirectory;
    }

    public static Task<StreamingServer> StartAsync(string workDirectory, CancellationToken cancellationToken)
        => StartAsync(workDirectory, "auto", cancellationToken);

    public static Task<StreamingServer> StartForRtmpViewersAsync(string workDirectory, CancellationToken cancellationToken)
        => StartAsync(workDirectory, "1", cancellationToken);

    private static async Task<StreamingServer> StartAsync(string workDirectory, string workerProcesses, CancellationToken cancellationToken)
    {
        string prefix = Path.Combine(workDirectory, "nginx-" + Guid.NewGuid().ToString("N")[..8]);
        string hls = Path.Combine(prefix, "hls");
        string staticFiles = Path.Combine(prefix, "served");
        Directory.CreateDirectory(hls);
        Directory.CreateDirectory(staticFiles);

        // Started as root, nginx runs its workers as an unprivileged user: they must reach and write the HLS folder.
        File.SetUnixFileMode(prefix, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(staticFiles, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(hls, (UnixFileMode)0b111_111_111);

        int rtmp = FreePort();
        int http = FreePort();
        string config = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(config, $$"""
            load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
            daemon off;
            master_process on;
            worker_processes {{workerProcesses}};
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/error.log warn;
            events { worker_connections 1024; }
            rtmp {
                server {
                    listen 127.0.0.1:{{rtmp}};
                    chunk_size 4096;
                    application live {
                        live on;
                        hls on;
                        hls_path {{hls}};
                        hls_fragment 2s;
                        hls_playlist_length 20s;
                    }
                }
            }
            http {
                include /etc/nginx/mime.types;
                default_type application/octet-stream;
                sendfile on;
                tcp_nopush on;
                access_log off;
                server {
                    listen 127.0.0.1:{{http}};
                    location /hls/ { alias {{hls}}/; add_header Cache-Control no-cache; }
                    location /served/ { alias {{staticFiles}}/; }
                }
            }
            """, cancellationToken);

        string nginx = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        BenchProcess process = BenchProcess.Start(
            Path.Combine(workDirectory, "nginx.log"), nginx, ["-e", Path.Combine(prefix, "error.log"), "-p", prefix + "/", "-c", config]);
        await WaitUntilListeningAsync(process, "nginx", cancellationToken, rtmp, http);
        return new NginxRtmpServer(process, rtmp, http, staticFiles);
    }

    public override Uri MediaPlaylist(string stream) => new(HttpBase, $"hls/{stream}.m3u8");

    public override Uri? PutStaticFile(string fileName, byte[] bytes)
    {
        string path = Path.Combine(_staticDirectory, fileName);
        File.WriteAllBytes(path, bytes);
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        return new Uri(HttpBase, "served/" + fileName);
    }
}
