using RtmpGateway.Server.Hosting;

// Socket completions run on the epoll threads (one per core) instead of being handed to the thread
// pool: with the RTMP transport's inline scheduling, a publisher's bytes are parsed and packaged
// where they arrive, without a thread wake-up per read (bench/run.sh peers measured ingest CPU
// per stream down by about 40 %). .NET reads the variable once, when the first socket is made, so
// it is set before anything else; set it to 0 in the environment to turn it off.
if (Environment.GetEnvironmentVariable(GatewayApp.InlineSocketCompletions) is null)
{
    Environment.SetEnvironmentVariable(GatewayApp.InlineSocketCompletions, "1");
}

await GatewayApp.Build(args).RunAsync().ConfigureAwait(false);
