using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using RtmpGateway.EndToEnd.Tests.Infrastructure;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// RTMPS with a self-signed certificate (PEM files, as an operator gives them): ffmpeg publishes to
/// rtmps://, hls.js plays the LL-HLS output in Chromium, ffmpeg plays the stream back over RTMPS,
/// a wrong stream key is refused, and a client that does not speak TLS on the RTMPS port is closed
/// with a logged reason while the stream goes on.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed class RtmpsTests
{
    private const string Key = "sk-rtmps-5e2a9c71d04b";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task FfmpegPublishesOverRtmps_HlsJsPlays_RtmpsPlaybackWorks_WrongKeyAndPlainRtmpAreRefused()
    {
        using var certificate = TestCertificate.Create();
        await using GatewayInstance gateway = await GatewayInstance.StartAsync(
            "--Rtmps:Port", "0",
            "--Rtmps:Certificate:Path", certificate.CertificatePem,
            "--Rtmps:Certificate:KeyPath", certificate.KeyPem,
            "--Auth:StreamKeys:0:Key", Key, "--Auth:StreamKeys:0:Name", "secure");
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("RTMPS listening on", StringComparison.Ordinal));

        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(gateway.RtmpsUrl("live", Key), seconds: 40));
        await gateway.WaitForStreamAsync("live", "secure", TimeSpan.FromSeconds(30));

        // A client that speaks plain RTMP to the RTMPS port: closed for it, nothing else changes.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using RawRtmpClient plain = await RawRtmpClient.HandshakeAsync(gateway.RtmpsEndPoint!);
        });
        await gateway.Logs.WaitForLineAsync(l => l.Contains("TLS handshake failed", StringComparison.Ordinal), TimeSpan.FromSeconds(15));

        // A wrong key over RTMPS is refused as over RTMP.
        await using (ToolProcess wrong = await ToolProcess.RunAsync(Timeout, "ffmpeg", Ffmpeg.PublishTestSource(gateway.RtmpsUrl("live", "sk-wrong-000000"), null, 3, 320, 240)))
        {
            Assert.NotEqual(0, wrong.ExitCode);
        }

        await gateway.Logs.WaitForLineAsync(l => l.Contains("no valid stream key or token", StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        // hls.js plays the stream's low-latency output.
        await using (Browser browser = await Browser.LaunchAsync())
        {
            BrowserPage page = await browser.OpenAsync(new Uri(gateway.HttpBase, "/?stream=secure&tech=hls&ll=1"), "rtmps-hls");
            await page.WaitForAsync(PlayerPageProbe.StartedOrFailed, TimeSpan.FromSeconds(30), PlayerPageProbe.State);
            Assert.Null(await page.EvaluateAsync<string?>("gatewayPlayer.error"));
            double start = await page.EvaluateAsync<double>("video.currentTime");
            await Task.Delay(5000);
            double played = await page.EvaluateAsync<double>("video.currentTime") - start;
            Assert.True(played > 3.5, string.Create(CultureInfo.InvariantCulture, $"played {played:F1} s in 5 s"));
        }

        // ffmpeg plays it back over RTMPS: decodable video, through the TLS send side.
        string flv = Path.Combine(certificate.Directory, "played.flv");
        await using (ToolProcess player = await ToolProcess.RunAsync(Timeout, "ffmpeg",
            "-hide_banner", "-nostdin", "-loglevel", "error", "-i", gateway.RtmpsUrl("live", "secure"), "-t", "4", "-c", "copy", "-f", "flv", flv))
        {
            Assert.True(player.ExitCode == 0, player.StdErr);
        }

        List<Ffmpeg.ProbedStream> streams = await Ffmpeg.ProbeAsync(flv);
        Assert.Contains(streams, s => s.CodecType == "video" && s.Packets >= 60);
        Assert.Contains(streams, s => s.CodecType == "audio" && s.Packets > 0);

        Assert.False(publisher.HasExited, "the RTMPS publisher stopped early: " + publisher.StdErr);
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains(Key, StringComparison.Ordinal) || l.Contains("sk-wrong-000000", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HandshakeDeadline_CoversTlsAndRtmp_SilentClientsAreClosed()
    {
        using var certificate = TestCertificate.Create();
        await using GatewayInstance gateway = await GatewayInstance.StartAsync(
            "--Rtmp:HandshakeTimeout", "00:00:02",
            "--Rtmps:Port", "0",
            "--Rtmps:Certificate:Path", certificate.Pfx,
            "--Rtmps:Certificate:Password", "pfx-password");

        // One client never starts TLS; the other completes TLS, then sends no RTMP handshake.
        using var silent = new TcpClient();
        await silent.ConnectAsync(gateway.RtmpsEndPoint!);
        using var tlsOnly = new TcpClient();
        await tlsOnly.ConnectAsync(gateway.RtmpsEndPoint!);
        await using var tls = new SslStream(tlsOnly.GetStream(), leaveInnerStreamOpen: false, (_, presented, _, _) => presented is System.Security.Cryptography.X509Certificates.X509Certificate2 c && c.Thumbprint == certificate.Thumbprint);
        var clock = Stopwatch.StartNew();
        await tls.AuthenticateAsClientAsync("localhost");

        // Both are closed by the gateway: a read sees the end of the stream (or a reset).
        var buffer = new byte[16];
        Task<int> silentRead = silent.GetStream().ReadAsync(buffer).AsTask();
        Task<int> tlsRead = tls.ReadAsync(buffer).AsTask();
        await AssertClosedAsync(silentRead);
        await AssertClosedAsync(tlsRead);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"closed after {clock.Elapsed.TotalSeconds:F1} s");
        await gateway.Logs.WaitForLineAsync(l => l.Contains("HandshakeTimeout", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        // Each connection logs its protocol error once (a warning) and its close (information).
        Assert.Equal(2, gateway.Logs.Lines.Count(l => l.StartsWith("[Warning]", StringComparison.Ordinal) && l.Contains("HandshakeTimeout", StringComparison.Ordinal)));
    }

    private static async Task AssertClosedAsync(Task<int> read)
    {
        try
        {
            Assert.Equal(0, await read.WaitAsync(TimeSpan.FromSeconds(10)));
        }
        catch (IOException)
        {
            // A reset is a close too.
        }
    }
}
