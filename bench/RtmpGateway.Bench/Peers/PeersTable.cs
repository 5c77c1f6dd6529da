using System.Globalization;

namespace RtmpGateway.Bench.Peers;

/// <summary>Which way a figure is better, and what the issue asks of the gateway against the peers.</summary>
internal enum Goal
{
    /// <summary>Reported only.</summary>
    None,

    /// <summary>Lower is better; target: the gateway at or below nginx-rtmp.</summary>
    AtMostNginx,

    /// <summary>Lower is better; target: the gateway below every peer.</summary>
    BelowEveryPeer,

    /// <summary>Higher is better; target: the gateway at or above nginx.</summary>
    AtLeastNginx,

    /// <summary>A count of live streams; target: all of them.</summary>
    AllLive,

    /// <summary>A count of viewers served; target: all of them.</summary>
    AllServed,
}

/// <summary>
/// The one markdown table of the peer scenarios: a row per measure, a column per server, then the
/// gateway/peer ratios and whether the row's target is met.
/// </summary>
internal sealed class PeersTable(IReadOnlyList<string> servers)
{
    private readonly List<Row> _rows = [];

    public IReadOnlyList<string> Servers { get; } = servers;

    public Row Add(string scenario, string measure, string format, Goal goal)
    {
        var row = new Row(scenario, measure, format, goal);
        _rows.Add(row);
        return row;
    }

    public void Print(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        string gateway = Servers[0];
        IEnumerable<string> peers = Servers.Skip(1);
        output.WriteLine($"| # | measure | {string.Join(" | ", Servers)} | {string.Join(" | ", peers.Select(p => $"{gateway} / {p}"))} | target |");
        output.WriteLine($"|---|---|{string.Concat(Servers.Select(_ => "---:|"))}{string.Concat(peers.Select(_ => "---:|"))}---|");
        foreach (Row row in _rows)
        {
            string cells = string.Join(" | ", Servers.Select(row.Text));
            string ratios = string.Join(" | ", peers.Select(p => row.Ratio(gateway, p) is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) : ""));
            output.WriteLine($"| {row.Scenario} | {row.Measure} | {cells} | {ratios} | {row.Verdict(Servers)} |");
        }
    }

    internal sealed class Row(string scenario, string measure, string format, Goal goal)
    {
        private readonly Dictionary<string, (double? Value, string Text)> _cells = [];

        public string Scenario { get; } = scenario;

        public string Measure { get; } = measure;

        public void Set(string server, double value, string? note = null)
            => _cells[server] = (value, value.ToString(format, CultureInfo.InvariantCulture) + (note is null ? "" : $" ({note})"));

        /// <summary>A count "live/total" (live streams, viewers served).</summary>
        public void SetCount(string server, int live, int total) => _cells[server] = (total == 0 ? null : (double)live / total, $"{live}/{total}");

        public void SetFailed(string server, string reason) => _cells[server] = (null, "failed: " + reason);

        public string Text(string server) => _cells.TryGetValue(server, out var cell) ? cell.Text : "-";

        public double? Ratio(string gateway, string peer)
            => goal is not (Goal.AllLive or Goal.AllServed) && Value(gateway) is { } g && Value(peer) is { } p && p > 0 ? g / p : null;

        public string Verdict(IReadOnlyList<string> servers)
        {
            double? gateway = Value(servers[0]);
            double? nginx = Value(servers[1]);
            double?[] peers = [.. servers.Skip(1).Select(Value)];
            bool? met = goal switch
            {
                Goal.AtMostNginx => gateway is { } g && nginx is { } n ? g <= n : null,
                Goal.AtLeastNginx => gateway is { } g && nginx is { } n ? g >= n : null,
                Goal.BelowEveryPeer => gateway is { } g ? peers.All(p => p is null || g < p) : null,
                Goal.AllLive or Goal.AllServed => gateway is { } g ? g >= 1 : null,
                _ => null,
            };
            string target = goal switch
            {
                Goal.AtMostNginx => "<= nginx-rtmp",
                Goal.AtLeastNginx => ">= nginx",
                Goal.BelowEveryPeer => "< every peer",
                Goal.AllLive => "all live",
                Goal.AllServed => "all served",
                _ => "",
            };
            return met is null ? target : $"{target}: {(met.Value ? "met" : "**not met**")}";
        }

        private double? Value(string server) => _cells.TryGetValue(server, out var cell) ? cell.Value : null;
    }
}
