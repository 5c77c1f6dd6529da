using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using RtmpGateway.Server.Hosting;
using RtmpGateway.Hub;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The real gateway (the same composition as Program) on free loopback ports, with its log lines
/// captured so tests can check the reasons it gives.
/// </summary>
public sealed class GatewayInstance : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayInstance(WebApplication app, CapturingSink sink)
    {
        _app = app;
        Logs = sink;
    }

    public CapturingSink Logs { get; }

    public IPEndPoint RtmpEndPoint { get; private set; } = null!;

    public Uri HttpBase { get; private set; } = null!;

    /// <summary>The RTMPS endpoint, when started with Rtmps:Port.</summary>
    public IPEndPoint? RtmpsEndPoint { get; private set; }

    /// <summary>The gateway's stream hub: what is live, its readers.</summary>
    public StreamHub Hub => _app.Services.GetRequiredService<StreamHub>();

    public IServiceProvider Services => _app.Services;

    public string RtmpUrl(string app, string name) => $"rtmp://127.0.0.1:{RtmpEndPoint.Port}/{app}/{name}";

    public string RtmpsUrl(string app, string name) => $"rtmps://127.0.0.1:{(RtmpsEndPoint ?? throw new InvalidOperationException("started without Rtmps:Port")).Port}/{app}/{name}";

    public static async Task<GatewayInstance> StartAsync(params string[] extraArgs)
    {
        var sink = new CapturingSink();
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            "--Rtmp:Port", "0",
            "--Rtmp:BindAddress", "127.0.0.1",

            // Tests transcode only where they ask for it: 2 cores cannot run a ladder next to every publisher.
            "--Transcoding:Preset", "passthrough",
            .. extraArgs,
        ];
        WebApplication app = GatewayApp.Build(args, b => b.Services.AddSingleton<ILogEventSink>(sink));
        await app.StartAsync();
        var instance = new GatewayInstance(app, sink);
        instance.RtmpEndPoint = (IPEndPoint)await app.RtmpEndPoint().WaitAsync(TimeSpan.FromSeconds(10));
        instance.RtmpsEndPoint = (IPEndPoint?)await app.RtmpsEndPoint().WaitAsync(TimeSpan.FromSeconds(10));
        string http = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        instance.HttpBase = new Uri(http);
        return instance;
    }

    /// <summary>GETs a path until it answers 200 (the stream and its track exist), failing after the timeout.</summary>
    public async Task<string> GetWhenReadyAsync(HttpClient http, string path, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(http);
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using HttpResponseMessage response = await http.GetAsync(new Uri(HttpBase, path));
            if (response.IsSuccessStatusCode)
            {
                return await response.Content.ReadAsStringAsync();
            }

            Assert.True(deadline.Elapsed < timeout, $"{path} still {(int)response.StatusCode} after {timeout}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until a stream is live (or fails after the timeout).</summary>
    public async Task<HubStream> WaitForStreamAsync(string app, string name, TimeSpan timeout)
    {
        HubStream? stream = null;
        await Poll.UntilAsync(() => (stream = Hub.Find(app, name)) is not null, timeout, () => $"{app}/{name} is not live");
        return stream!;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}

/// <summary>Keeps every rendered log line of one gateway.</summary>
public sealed class CapturingSink : ILogEventSink
{
    // ":lj" renders string values as they are, without quotes, as the console sink does.
    private static readonly MessageTemplateTextFormatter Formatter = new("[{Level}] {Message:lj}");
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        using var writer = new StringWriter();
        Formatter.Format(logEvent, writer);
        _lines.Enqueue(writer.ToString());
    }

    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        string? line = null;
        await Poll.UntilAsync(() => (line = _lines.FirstOrDefault(predicate)) is not null, timeout, () => "no log line matched; lines:\n" + string.Join('\n', _lines));
        return line!;
    }
}
