namespace Drover.IntegrationTests.Harness;

/// <summary>One server of a backend as <c>show servers state</c> reports it.</summary>
/// <param name="OpState">0 stopped, 1 starting, 2 running, 3 stopping (HAProxy's srv_op_state).</param>
/// <param name="AdminState">
/// Bit field (srv_admin_state): 0x01/0x02/0x04 maintenance (forced, inherited, from config), 0x08/0x10
/// drain, 0x20 MAINT (resolution), 0x40 only records that the FQDN came from DNS/the CLI (an SRV
/// record), which is no maintenance.
/// </param>
public sealed record HaproxyServerState(string Backend, string Name, string Address, int Port, int OpState, int AdminState)
{
    private const int MaintenanceOrDrain = 0x3F;

    public bool IsUp => OpState == 2 && (AdminState & MaintenanceOrDrain) == 0;
}

/// <summary>One row of <c>show stat</c> (CSV), by column name.</summary>
public sealed record HaproxyStatRow(IReadOnlyDictionary<string, string> Fields)
{
    public string Proxy => Fields["pxname"];
    public string Server => Fields["svname"];
    public string Status => Fields["status"];
}

/// <summary>
/// The test's reading of HAProxy's runtime API: the transport is the product's <see cref="Drover.Lb.Haproxy.RuntimeApi"/>;
/// the parsing here keeps every admin-state bit (MAINT (resolution) included), which the DNS resolver tests assert on.
/// </summary>
public sealed class HaproxyRuntimeSocket(string path)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public string Path { get; } = path;

    /// <summary>Sends one command line through the product's runtime client and returns HAProxy's whole answer.</summary>
    public Task<string> SendAsync(string command) => new Drover.Lb.Haproxy.RuntimeApi(Path, Timeout).CommandAsync(command);

    /// <summary><c>show servers state &lt;backend&gt;</c>: format version 1, columns named by its "#" header line.</summary>
    public async Task<IReadOnlyList<HaproxyServerState>> ServersStateAsync(string backend)
    {
        var text = await SendAsync("show servers state " + backend);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines.FirstOrDefault(l => l.StartsWith('#'))
            ?? throw new InvalidDataException("no header in 'show servers state':\n" + text);
        var columns = header.TrimStart('#').Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int Col(string name) => Array.IndexOf(columns, name) is var i and >= 0 ? i : throw new InvalidDataException($"no column {name} in: {header}");
        var (be, name, addr, port, op, admin) = (Col("be_name"), Col("srv_name"), Col("srv_addr"), Col("srv_port"), Col("srv_op_state"), Col("srv_admin_state"));
        return lines.Where(l => !l.StartsWith('#') && l.Contains(' '))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => new HaproxyServerState(f[be], f[name], f[addr], int.Parse(f[port]), int.Parse(f[op]), int.Parse(f[admin])))
            .ToList();
    }

    /// <summary><c>show stat</c> as rows keyed by the CSV header's column names.</summary>
    public async Task<IReadOnlyList<HaproxyStatRow>> StatAsync()
    {
        var text = await SendAsync("show stat");
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || !lines[0].StartsWith("# ", StringComparison.Ordinal))
        {
            throw new InvalidDataException("no CSV header in 'show stat':\n" + text);
        }

        var columns = lines[0][2..].Split(',');
        return lines.Skip(1)
            .Select(l => l.Split(','))
            .Select(f => new HaproxyStatRow(columns.Zip(f).Where(p => p.First.Length > 0).ToDictionary(p => p.First, p => p.Second)))
            .ToList();
    }
}
