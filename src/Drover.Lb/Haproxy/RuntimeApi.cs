using System.Net.Sockets;
using System.Text;
using Drover.Lb.Model;
using Drover.Lb.Planning;

namespace Drover.Lb.Haproxy;

/// <summary>
/// HAProxy's runtime API on its admin unix socket ("stats socket … level admin"): one connection per command, as the
/// socket closes after answering in non-interactive mode. Every write checks HAProxy's answer and throws
/// <see cref="RuntimeApiException"/> quoting it.
/// </summary>
public sealed class RuntimeApi(string socketPath, TimeSpan? timeout = null)
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(5);

    public string SocketPath { get; } = socketPath;

    /// <summary>Sends one command and returns HAProxy's whole answer.</summary>
    public async Task<string> CommandAsync(string command, CancellationToken ct = default)
    {
        if (command.Contains('\n') || command.Contains(';')) throw new ArgumentException($"one command per call, got '{command}'", nameof(command));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(_timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cts.Token);
            await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"), cts.Token);
            // The master CLI (HAProxy 2.6) answers and closes only once the client has closed its side; the stats socket does not mind.
            socket.Shutdown(SocketShutdown.Send);
            var answer = new MemoryStream();
            var buffer = new byte[16384];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, cts.Token)) > 0) answer.Write(buffer, 0, n);
            return Encoding.UTF8.GetString(answer.ToArray());
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new RuntimeApiException(command, $"no answer from {SocketPath} within {_timeout.TotalSeconds:0.#}s");
        }
        catch (SocketException e)
        {
            throw new RuntimeApiException(command, $"cannot reach {SocketPath}: {e.Message}", e);
        }
    }

    public async Task<IReadOnlyList<ServerStateRow>> ShowServersStateAsync(CancellationToken ct = default) =>
        RuntimeRows.ParseServersState(await Expect("show servers state", a => a.Contains("# be_id"), ct));

    public async Task<IReadOnlyList<StatRow>> ShowStatAsync(CancellationToken ct = default) =>
        RuntimeRows.ParseStat(await Expect("show stat", a => a.StartsWith("# pxname"), ct));

    /// <summary>"add server": the server starts in maintenance; <see cref="ApplyAsync"/> sets its state next.</summary>
    public Task AddServerAsync(string backend, string server, string args, CancellationToken ct = default) =>
        Expect($"add server {backend}/{server} {args}", a => a.Contains("New server registered"), ct);

    /// <summary>Maintenance, then "del server". HAProxy refuses while the server still has connections; the caller retries later.</summary>
    public async Task DelServerAsync(string backend, string server, CancellationToken ct = default)
    {
        await SetStateAsync(backend, server, ServerState.Maint, ct);
        await Expect($"del server {backend}/{server}", a => a.Contains("Server deleted"), ct);
    }

    public Task SetStateAsync(string backend, string server, ServerState state, CancellationToken ct = default) =>
        Expect($"set server {backend}/{server} state {state.ToString().ToLowerInvariant()}", string.IsNullOrWhiteSpace, ct);

    public Task EnableServerAsync(string backend, string server, CancellationToken ct = default) =>
        Expect($"enable server {backend}/{server}", string.IsNullOrWhiteSpace, ct);

    /// <summary>Starts HAProxy's own checks of a server added at runtime (they are off until enabled).</summary>
    public Task EnableHealthAsync(string backend, string server, CancellationToken ct = default) =>
        Expect($"enable health {backend}/{server}", string.IsNullOrWhiteSpace, ct);

    /// <summary>Carries out one planned change; <paramref name="backend"/> gives the keywords an added server needs.</summary>
    public async Task ApplyAsync(RuntimeOp op, LbBackend backend, HaproxySettings settings, CancellationToken ct = default)
    {
        switch (op)
        {
            case AddServer add:
                await AddServerAsync(op.Backend, op.Server, ConfigRenderer.RuntimeServerArgs(add.Added, backend, settings), ct);
                if (backend.HttpCheckPath is not null) await EnableHealthAsync(op.Backend, op.Server, ct);
                await SetStateAsync(op.Backend, op.Server, add.Added.State, ct);
                break;
            case DelServer:
                await DelServerAsync(op.Backend, op.Server, ct);
                break;
            case SetServerState set:
                await SetStateAsync(op.Backend, op.Server, set.State, ct);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "unknown runtime operation");
        }
    }

    private async Task<string> Expect(string command, Func<string, bool> ok, CancellationToken ct)
    {
        var answer = await CommandAsync(command, ct);
        return ok(answer) ? answer : throw new RuntimeApiException(command, answer.Length == 0 ? "(empty answer)" : answer);
    }
}
