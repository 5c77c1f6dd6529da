using RtmpGateway.Server.Rtmp;
using RtmpGateway.Server.Streams;
using Serilog;

namespace RtmpGateway.Server.Hosting;

/// <summary>Composes the gateway: configuration, Serilog, the RTMP listener, the stream registry, HTTP endpoints.</summary>
public static class GatewayApp
{
    /// <summary>Builds the application from command-line arguments; <paramref name="configure"/> lets tests add services.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });

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
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<StreamRegistry>();
        builder.Services.AddSingleton<RtmpListenerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RtmpListenerService>());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));

        configure?.Invoke(builder);

        WebApplication app = builder.Build();
        app.MapGet("/health", () => Results.Text("ok"));
        app.MapGet("/api/streams", (StreamRegistry registry) => Results.Json(registry.Streams.Select(StreamInfo.From).ToArray(), StreamInfoJsonContext.Default.StreamInfoArray));
        return app;
    }

    /// <summary>The bound RTMP endpoint of a started gateway.</summary>
    public static Task<System.Net.EndPoint> RtmpEndPoint(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<RtmpListenerService>().BoundEndPoint;
    }
}
