using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Drover.Api.Client;
using Drover.Api.Consul;

namespace Drover.IntegrationTests.Ha.History;

/// <summary>What the clients of one history run work on: a few shared app ids and counter keys, so clients contend.</summary>
public sealed record HistoryWorkload(IReadOnlyList<string> AppIds, IReadOnlyList<string> CounterKeys)
{
    /// <summary>The app every create sends: a process that does nothing, cheap enough for dozens on a 2-core machine.</summary>
    public static JsonElement App(string id, int instances) =>
        JsonDocument.Parse($$"""{"id":"{{id}}","cmd":"exec sleep 3600","instances":{{instances}},"cpus":0.01,"mem":8}""").RootElement.Clone();

    /// <summary>A counter's value as the clients write it: decimal text.</summary>
    public static long CounterValue(ConsulKvPair pair) => long.Parse(Encoding.UTF8.GetString(pair.DecodedValue()), CultureInfo.InvariantCulture);
}

/// <summary>
/// One client of the history test: until stopped, performs random operations through its <see cref="DroverClient"/>
/// (which follows the leader across the server list) and records each with its outcome. Every operation gets its own
/// deadline; running past it makes it indeterminate, as does a lost connection or a 5xx without
/// <c>X-Drover-Not-Applied: true</c>, since a write forwarded to a leader that died may have been applied. A marked 5xx
/// (no leader, quorum lost, the fence refused it) is a failure: the server guarantees nothing was written.
/// </summary>
internal sealed class HistoryClient(int id, DroverClient client, HistoryWorkload workload, Stopwatch clock, int seed)
{
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(10);

    private readonly Random _random = new(seed);
    private readonly List<HistoryOp> _history = [];

    public async Task<IReadOnlyList<HistoryOp>> RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (_random.Next(2) == 0) await CasIncrementAsync(workload.CounterKeys[_random.Next(workload.CounterKeys.Count)]);
            else await AppOperationAsync(workload.AppIds[_random.Next(workload.AppIds.Count)]);
            try
            {
                await Task.Delay(_random.Next(20, 150), stop); // pacing, so 2 cores also run the cluster under test
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return _history;
    }

    private Task AppOperationAsync(string appId)
    {
        var roll = _random.Next(10);
        if (roll < 3)
        {
            var n = _random.Next(1, 3);
            return Record(InFlight(new CreateApp(appId, n)), ct => client.CreateAppAsync(HistoryWorkload.App(appId, n), ct));
        }
        if (roll < 8)
        {
            var n = _random.Next(0, 4);
            // force: supersede a deployment in progress, as `drover app scale --force` does
            return Record(InFlight(new ScaleApp(appId, n)), ct => client.ScaleAppAsync(appId, n, force: true, ct));
        }
        return Record(InFlight(new DeleteApp(appId)), ct => client.DeleteAppAsync(appId, force: true, ct));
    }

    /// <summary>Reads the counter (a failed read records nothing: no write was attempted), then writes value + 1 with ?cas=ModifyIndex.</summary>
    private async Task CasIncrementAsync(string key)
    {
        long index, value;
        try
        {
            using var cts = new CancellationTokenSource(OperationTimeout);
            var pair = await client.KvGetAsync(key, cts.Token);
            (index, value) = pair is null ? (0, 0) : (pair.ModifyIndex, HistoryWorkload.CounterValue(pair));
        }
        catch (Exception e) when (IsRequestFailure(e))
        {
            return;
        }
        var write = Encoding.UTF8.GetBytes((value + 1).ToString(CultureInfo.InvariantCulture));
        await Record(InFlight(new CasIncrement(key, index, value)),
            async ct => { if (!await client.KvPutAsync(key, write, cas: (ulong)index, ct: ct)) throw new CasRefusedException(); });
    }

    private async Task Record(HistoryOp op, Func<CancellationToken, Task> send)
    {
        using var cts = new CancellationTokenSource(OperationTimeout);
        var (outcome, error) = (Outcome.Ok, (string?)null);
        try
        {
            await send(cts.Token);
        }
        catch (Exception e) when (e is CasRefusedException || IsRequestFailure(e))
        {
            (outcome, error) = Classify(e);
        }
        _history.Add(op with { Completed = clock.Elapsed, Outcome = outcome, Error = error });
    }

    /// <summary>
    /// What a failed request tells about its write: failed for sure (a CAS answered false, a 4xx, or a 5xx marked
    /// <c>X-Drover-Not-Applied: true</c>: no leader, quorum lost, the fence refused it), else indeterminate.
    /// </summary>
    internal static (Outcome Outcome, string Error) Classify(Exception e) => e switch
    {
        CasRefusedException => (Outcome.Failed, "cas refused"),
        DroverApiException a when (int)a.Status < 500 || a.NotApplied =>
            (Outcome.Failed, $"{(int)a.Status} {a.Message}{(a.NotApplied ? " (not applied)" : "")}"),
        DroverApiException a => (Outcome.Indeterminate, $"{(int)a.Status} {a.Message}"),
        _ => (Outcome.Indeterminate, $"{e.GetType().Name}: {e.Message}"),
    };

    /// <summary>Stamps an operation as invoked now; until its answer comes back it is indeterminate.</summary>
    private HistoryOp InFlight(HistoryOp op) => op with { Client = id, Invoked = clock.Elapsed, Completed = clock.Elapsed, Outcome = Outcome.Indeterminate };

    private static bool IsRequestFailure(Exception e) => e is DroverApiException or HttpRequestException or OperationCanceledException or IOException;

    internal sealed class CasRefusedException : Exception;
}
