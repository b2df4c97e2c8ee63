using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Agent.Health;

/// <summary>
/// Runs one readiness check of one running task, Marathon style: GET <c>http(s)://host:port/path</c> (the task's
/// host port named <c>portName</c>) at once and then every <c>intervalSeconds</c>, each with
/// <c>timeoutSeconds</c>, until the status is one of <c>httpStatusCodesForReady</c>. Then it stops: readiness
/// only gates deployments, and a ready task stays ready. <c>lastResponse</c> is kept only with
/// <c>preserveLastResponse</c> (body truncated to <see cref="MaxBodyBytes"/>).
/// </summary>
public sealed class ReadinessCheckRunner : IAsyncDisposable
{
    public const int MaxBodyBytes = 4096;

    private readonly ReadinessCheckDefinition _def;
    private readonly HttpClient _http;
    private readonly string _taskId;
    private readonly string _host;
    private readonly int? _port;
    private readonly TimeProvider _time;
    private readonly Action<ReadinessCheckRunner> _onChanged;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Task _loop = Task.CompletedTask;
    private ReadinessCheckResult? _result;
    private string? _cause;
    private int _checksStarted;
    private int _checksCompleted;
    private int _disposed;

    /// <param name="ports">The task's host ports.</param>
    /// <param name="portNames">Name of each host port (same index), null when unnamed.</param>
    /// <param name="onChanged">Called for the first result, and when Ready or the last response's status changes.</param>
    public ReadinessCheckRunner(ReadinessCheckDefinition def, HttpClient http, string taskId, string host,
        IReadOnlyList<int> ports, IReadOnlyList<string?> portNames, TimeProvider time, Action<ReadinessCheckRunner> onChanged)
    {
        _def = def;
        _http = http;
        _taskId = taskId;
        _host = host;
        _time = time;
        _onChanged = onChanged;
        _port = ResolvePort(def.PortName, ports, portNames, out _cause);
    }

    public ReadinessCheckDefinition Definition => _def;
    /// <summary>Latest result; null until the first check has completed.</summary>
    public ReadinessCheckResult? Result { get { lock (_gate) return _result; } }
    /// <summary>Why the task is not ready (null once ready, or before a port problem or first check is known).</summary>
    public string? Cause { get { lock (_gate) return _cause; } }
    /// <summary>The check can never run: the task has no port named portName.</summary>
    public bool CannotRun => _port is null;
    public int ChecksStarted => Volatile.Read(ref _checksStarted);
    public int ChecksCompleted => Volatile.Read(ref _checksCompleted);
    /// <summary>Completes when the runner stops checking: the task is ready, the check cannot run, or it was disposed.</summary>
    public Task Stopped => _loop;

    public void Start() => _loop = RunAsync(_stop.Token);

    /// <summary>The host port whose name is <paramref name="portName"/>, or null with the reason.</summary>
    public static int? ResolvePort(string portName, IReadOnlyList<int> ports, IReadOnlyList<string?> portNames, out string? error)
    {
        for (var i = 0; i < portNames.Count && i < ports.Count; i++)
        {
            if (string.Equals(portNames[i], portName, StringComparison.Ordinal))
            {
                error = null;
                return ports[i];
            }
        }
        var named = new List<string>();
        for (var i = 0; i < portNames.Count && i < ports.Count; i++)
        {
            if (!string.IsNullOrEmpty(portNames[i])) named.Add($"'{portNames[i]}'");
        }
        error = named.Count == 0
            ? $"no port named '{portName}': the task has no named ports"
            : $"no port named '{portName}': the task's ports are named {string.Join(", ", named)}";
        return null;
    }

    private async Task RunAsync(CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            if (_port is not { } port)
            {
                Record(ready: false, response: null, Cause);
                return;
            }
            var uri = Uri(port);
            // The timer exists before the first check, so a tick that falls due while a check runs is not lost.
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, _def.IntervalSeconds)), _time);
            do
            {
                if (await CheckOnceAsync(uri, ct).ConfigureAwait(false)) return;
            }
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    private Uri Uri(int port)
    {
        var scheme = string.Equals(_def.Protocol, "HTTPS", StringComparison.OrdinalIgnoreCase) ? "https" : "http";
        var host = IPAddress.TryParse(_host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{_host}]" : _host;
        var path = string.IsNullOrEmpty(_def.Path) ? "/" : _def.Path.StartsWith('/') ? _def.Path : "/" + _def.Path;
        return new Uri($"{scheme}://{host}:{port}{path}");
    }

    /// <summary>One check; true when the task is ready.</summary>
    private async Task<bool> CheckOnceAsync(Uri uri, CancellationToken ct)
    {
        var timeoutSeconds = Math.Max(1, _def.TimeoutSeconds);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        Interlocked.Increment(ref _checksStarted);
        ReadinessLastResponse? response = null;
        string? cause = null;
        try
        {
            response = await GetAsync(uri, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            cause = $"GET {uri} timed out after {timeoutSeconds}s";
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or IOException)
        {
            cause = $"GET {uri} failed: {e.Message}";
        }
        ct.ThrowIfCancellationRequested();
        var ready = response is not null && _def.HttpStatusCodesForReady.Contains(response.Status);
        if (response is not null && !ready)
            cause = $"GET {uri} answered {response.Status}, not one of [{string.Join(", ", _def.HttpStatusCodesForReady)}]";
        Record(ready, _def.PreserveLastResponse ? response : null, cause);
        Interlocked.Increment(ref _checksCompleted);
        return ready;
    }

    private async Task<ReadinessLastResponse> GetAsync(Uri uri, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, uri);
        req.Headers.ConnectionClose = true;
        req.Headers.UserAgent.ParseAdd("drover-readiness/1");
        using var resp = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        return new ReadinessLastResponse
        {
            Status = (int)resp.StatusCode,
            ContentType = resp.Content.Headers.ContentType?.ToString() ?? "application/octet-stream",
            Body = _def.PreserveLastResponse ? await ReadBodyAsync(resp.Content, ct).ConfigureAwait(false) : "",
        };
    }

    /// <summary>At most <see cref="MaxBodyBytes"/> of the body as UTF-8 (a character cut at the limit is dropped).</summary>
    private static async Task<string> ReadBodyAsync(HttpContent content, CancellationToken ct)
    {
        var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[MaxBodyBytes];
            var n = 0;
            while (n < buffer.Length)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(n), ct).ConfigureAwait(false);
                if (read == 0) break;
                n += read;
            }
            var chars = new char[Encoding.UTF8.GetMaxCharCount(n)];
            var count = Encoding.UTF8.GetDecoder().GetChars(buffer, 0, n, chars, 0, flush: false);
            return new string(chars, 0, count);
        }
    }

    private void Record(bool ready, ReadinessLastResponse? response, string? cause)
    {
        bool changed;
        lock (_gate)
        {
            var previous = _result;
            _result = new ReadinessCheckResult { Name = _def.Name, TaskId = _taskId, Ready = ready, LastResponse = response };
            _cause = ready ? null : cause;
            changed = previous is null || previous.Ready != ready || previous.LastResponse?.Status != response?.Status;
        }
        if (changed) _onChanged(this);
    }

    /// <summary>Stops checking; safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
