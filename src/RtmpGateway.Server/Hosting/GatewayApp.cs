using Microsoft.Extensions.Options;
using RtmpGateway.Hub;
using RtmpGateway.Packaging.Live;
using RtmpGateway.Server.Auth;
using RtmpGateway.Server.Live;
using RtmpGateway.Server.Rtmp;
using Serilog;

namespace RtmpGateway.Server.Hosting;

/// <summary>Composes the gateway: configuration, Serilog, the RTMP listener, the stream registry, HTTP endpoints.</summary>
public static class GatewayApp
{
    /// <summary>The runtime's switch for running socket completions on its event threads (read once per process).</summary>
    public const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Builds the application from command-line arguments; <paramref name="configure"/> lets tests add services.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });

        // HTTP/2 alongside HTTP/1.1: Kestrel's default for every endpoint (Http1AndHttp2), negotiated
        // with ALPN over TLS as browsers require; LL-HLS clients keep a blocking playlist request
        // and part requests open side by side on one connection. Http2Tests pin it.

        builder.Services.AddSerilog(
            (services, logger) => logger
                .ReadFrom.Configuration(builder.Configuration)
                .ReadFrom.Services(services)
                .Enrich.FromLogContext(),
            preserveStaticLogger: true);

        builder.Services.AddOptions<RtmpOptions>()
            .Bind(builder.Configuration.GetSection(RtmpOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<RtmpsOptions>()
            .Bind(builder.Configuration.GetSection(RtmpsOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<PackagingOptions>()
            .Bind(builder.Configuration.GetSection(PackagingOptions.SectionName))
            .Validate(o =>
            {
                o.Validate();
                return true;
            })
            .ValidateOnStart();
        builder.Services.AddOptions<TranscodingOptions>().Bind(builder.Configuration.GetSection(TranscodingOptions.SectionName));
        builder.Services.AddOptions<HttpOptions>()
            .Bind(builder.Configuration.GetSection(HttpOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddHttpLimits();
        builder.Services.AddOptions<AuthOptions>()
            .Bind(builder.Configuration.GetSection(AuthOptions.SectionName))
            .Validate(o =>
            {
                o.Validate();
                return true;
            })
            .ValidateOnStart();
        builder.Services.AddSingleton<StreamAuthorizer>();

        // The auth webhook's own client: a 3xx is an answer (a rename, as in nginx-rtmp), not a redirect to follow.
        builder.Services.AddHttpClient(StreamAuthorizer.WebhookClient)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        builder.Services.AddCors(cors => cors.AddPolicy(LiveEndpoints.CorsPolicy, policy =>
        {
            string[] origins = builder.Configuration.GetSection(HttpOptions.SectionName).Get<HttpOptions>()?.CorsOrigins ?? ["*"];
            if (origins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins(origins);
            }

            policy.WithMethods(HttpMethods.Get, HttpMethods.Head).AllowAnyHeader();
        }));
        builder.Services.AddSingleton<PackagingService>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new StreamHub(
            sp.GetRequiredService<TimeProvider>(),
            new HubOptions
            {
                ReconnectGrace = sp.GetRequiredService<IOptions<PackagingOptions>>().Value.ReconnectGrace,
                MaxGopBytes = sp.GetRequiredService<IOptions<RtmpOptions>>().Value.MaxGopCacheBytes,
                MaxStreams = sp.GetRequiredService<IOptions<RtmpOptions>>().Value.MaxLiveStreams,
            },
            sp.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping));
        builder.Services.AddSingleton<RtmpListenerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RtmpListenerService>());
        // Graceful shutdown (SIGTERM, Ctrl+C): RTMP stops accepting, every stream ends (ENDLIST, static
        // MPD), then in-flight HTTP responses finish; past HostOptions:ShutdownTimeout the rest is cut off.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.Configure<HostOptions>(builder.Configuration.GetSection("HostOptions"));

        configure?.Invoke(builder);

        WebApplication app = builder.Build();

        // Created now, not on first request: it packages every stream from its first frame.
        app.Services.GetRequiredService<PackagingService>();
        app.UseCors();
        app.UseMediaRateLimit();
        app.MapGet("/health", () => Results.Text("ok"));
        app.MapGet("/api/streams", (StreamHub hub) => Results.Json(hub.Streams.Select(StreamInfo.From).ToArray(), StreamInfoJsonContext.Default.StreamInfoArray));
        app.MapLiveEndpoints();
        app.MapPlayerPage();
        return app;
    }

    /// <summary>The bound RTMPS endpoint of a started gateway, or null when RTMPS is off.</summary>
    public static Task<System.Net.EndPoint?> RtmpsEndPoint(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<RtmpListenerService>().BoundTlsEndPoint;
    }

    /// <summary>The bound RTMP endpoint of a started gateway.</summary>
    public static Task<System.Net.EndPoint> RtmpEndPoint(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<RtmpListenerService>().BoundEndPoint;
    }
}
