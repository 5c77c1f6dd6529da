using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace RtmpGateway.Server.Live;

/// <summary>The HTTP side's limits: the per-client rate limit of the media endpoints, Kestrel's minimum data rates, held requests.</summary>
internal static class HttpLimits
{
    /// <summary>Endpoint metadata: the media endpoints' per-client rate limit applies.</summary>
    public static readonly MediaRateLimit MediaRateLimited = new();

    public static void AddHttpLimits(this IServiceCollection services)
    {
        services.AddSingleton<ParkedRequests>();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<HttpOptions>>((kestrel, http) =>
        {
            HttpOptions o = http.Value;
            kestrel.Limits.MinResponseDataRate = o.MinResponseDataRate > 0 ? new MinDataRate(o.MinResponseDataRate, o.DataRateGracePeriod) : null;
            kestrel.Limits.MinRequestBodyDataRate = o.MinRequestBodyDataRate > 0 ? new MinDataRate(o.MinRequestBodyDataRate, o.DataRateGracePeriod) : null;
        });
        services.AddSingleton<ClientRateLimiter>();
    }

    /// <summary>Rate-limits the endpoints marked with <see cref="MediaRateLimited"/>: after CORS, so that a 429 carries its headers.</summary>
    public static void UseMediaRateLimit(this WebApplication app)
    {
        ClientRateLimiter limiter = app.Services.GetRequiredService<ClientRateLimiter>();
        if (!limiter.Enabled)
        {
            return;
        }

        app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<MediaRateLimit>() is null
                || limiter.TryAcquire(context.Connection.RemoteIpAddress ?? IPAddress.None, out TimeSpan retryAfter))
            {
                return next(context);
            }

            ClientRateLimiter.Refuse(context, retryAfter);
            return Task.CompletedTask;
        });
    }
}

/// <summary>Marks an endpoint for <see cref="HttpLimits.UseMediaRateLimit"/>.</summary>
internal sealed class MediaRateLimit;
