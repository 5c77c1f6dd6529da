using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using RtmpGateway.Server.Auth;

namespace RtmpGateway.Server.Live;

/// <summary>The HTTP side's limits: the per-client rate limit of the media endpoints, Kestrel's minimum data rates, held requests.</summary>
internal static class HttpLimits
{
    /// <summary>The rate limiter policy of the media endpoints: a token bucket per client address.</summary>
    public const string MediaRatePolicy = "media-per-client";

    public static void AddHttpLimits(this IServiceCollection services)
    {
        services.AddSingleton<ParkedRequests>();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<HttpOptions>>((kestrel, http) =>
        {
            HttpOptions o = http.Value;
            kestrel.Limits.MinResponseDataRate = o.MinResponseDataRate > 0 ? new MinDataRate(o.MinResponseDataRate, o.DataRateGracePeriod) : null;
            kestrel.Limits.MinRequestBodyDataRate = o.MinRequestBodyDataRate > 0 ? new MinDataRate(o.MinRequestBodyDataRate, o.DataRateGracePeriod) : null;
        });
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<HttpOptions>>((limiter, http) =>
        {
            HttpOptions o = http.Value;
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, _) =>
            {
                // RFC 6585 §4: "MAY include a Retry-After header"; the bucket refills continuously.
                TimeSpan retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan after) ? after : TimeSpan.FromSeconds(1);
                context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(Math.Max(1, retry.TotalSeconds))).ToString(System.Globalization.CultureInfo.InvariantCulture);
                context.HttpContext.Response.Headers.CacheControl = "no-cache";
                return ValueTask.CompletedTask;
            };
            limiter.AddPolicy(MediaRatePolicy, context =>
            {
                IPAddress address = IpRules.Canonical(context.Connection.RemoteIpAddress ?? IPAddress.None);
                if (o.RateLimitPerSecond == 0)
                {
                    return RateLimitPartition.GetNoLimiter(address);
                }

                return RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = o.RateLimitBurst,
                    TokensPerPeriod = o.RateLimitPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    AutoReplenishment = true,
                    QueueLimit = 0,
                });
            });
        });
    }
}
