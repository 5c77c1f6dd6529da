using RtmpGateway.Server.Hosting;

await GatewayApp.Build(args).RunAsync().ConfigureAwait(false);
