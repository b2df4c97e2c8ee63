using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Drover.Core.Discovery;
using Drover.Core.Hosting;
using Drover.Dns.Records;
using Drover.Dns.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Dns;

/// <summary>
/// Drover's DNS server: UDP and TCP on System.Net.Sockets, authoritative for
/// <see cref="DnsOptions.Domain"/>, forwarding everything else to the recursors. The answers
/// come from an immutable <see cref="DnsRecordSet"/> that <see cref="Update"/> rebuilds from
/// the catalog and swaps in atomically; a failed rebuild keeps the last good set.
/// </summary>
public sealed partial class DnsServer : IAsyncDisposable
{
    private const int MaxMessage = ushort.MaxValue;
    private readonly DnsOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _updateLock = new();
    private readonly List<Thread> _udpThreads = [];
    private readonly ConcurrentDictionary<Task, bool> _inFlight = new();
    private DnsRecordSet _records;
    private DnsForwarder _forwarder = null!;
    private Socket? _udp;
    private Socket? _tcp;
    private Task? _acceptLoop;
    private int _tcpConnections;
    private int _started;
    private int _disposed;

    private readonly IDnsQueryObserver? _observer;

    public DnsServer(DnsOptions options, ILogger<DnsServer>? logger = null, TimeProvider? time = null, IDnsQueryObserver? observer = null)
    {
        _observer = observer;
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _records = DnsRecordSet.Empty(options, UnixSerial());
    }

    private void Observe(ReadOnlySpan<byte> query, ReadOnlySpan<byte> response, bool forwarded, long start)
    {
        if (_observer is null || response.Length == 0) return;
        _observer.Answered(DnsQueryHandler.QuestionType(query), DnsQueryHandler.ResponseCode(response), forwarded, start);
    }

    /// <summary>The bound UDP endpoint (the real port when the options asked for port 0).</summary>
    public IPEndPoint UdpEndpoint { get; private set; } = null!;

    public IPEndPoint TcpEndpoint { get; private set; } = null!;

    /// <summary>The record set answering right now.</summary>
    public DnsRecordSet Records => Volatile.Read(ref _records);

    /// <summary>The recursors in use (after reading resolv.conf and dropping this server itself).</summary>
    public IReadOnlyList<IPEndPoint> Recursors => _forwarder?.Recursors ?? [];

    /// <summary>Rebuilds that threw (the previous set stayed in service).</summary>
    public int FailedUpdates { get; private set; }

    /// <summary>Binds UDP and TCP and starts serving. Throws when an endpoint cannot be bound: <see cref="ListenAddressInUseException"/> (listener "dns") when another program has it.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("DNS server already started");
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Bind();
        _forwarder = new DnsForwarder(ChooseRecursors(), _options.ForwardTimeout, _options.MaxConcurrentForwards, _logger);

        var receivers = _options.UdpReceivers > 0 ? _options.UdpReceivers : Math.Max(1, Environment.ProcessorCount);
        for (var i = 0; i < receivers; i++)
        {
            var thread = new Thread(UdpLoop) { IsBackground = true, Name = $"drover-dns-udp-{i}" };
            _udpThreads.Add(thread);
            thread.Start();
        }

        _acceptLoop = Task.Run(AcceptLoopAsync);
        DnsLog.Listening(_logger, UdpEndpoint, TcpEndpoint, _records.Domain,
            _forwarder.Enabled && _options.EnableForwarding ? string.Join(", ", _forwarder.Recursors) : "none (REFUSED)");
    }

    /// <summary>
    /// Rebuilds the record set from <paramref name="snapshot"/> and swaps it in. False (and the
    /// previous set keeps answering) when the rebuild throws.
    /// </summary>
    public bool Update(CatalogSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_updateLock)
        {
            var previous = _records;
            var started = Stopwatch.GetTimestamp();
            DnsRecordSet next;
            try
            {
                var serial = Math.Max(previous.Serial + 1, UnixSerial());
                next = DnsRecordSet.Build(snapshot, _options, serial, previous.Failover, _time.GetUtcNow());
            }
            catch (Exception e)
            {
                FailedUpdates++;
                DnsLog.RebuildFailed(_logger, e, snapshot.Index, previous.Serial);
                return false;
            }

            Volatile.Write(ref _records, next);
            DnsLog.Updated(_logger, next.Serial, snapshot.Index, next.NameCount, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            foreach (var (service, choice) in next.Failover)
            {
                var before = previous.Failover.GetValueOrDefault(service);
                if (!string.Equals(before?.Tag, choice.Tag, StringComparison.OrdinalIgnoreCase))
                {
                    DnsLog.FailoverMoved(_logger, choice.Alias, service, before?.Tag ?? "(none)", choice.Tag ?? "(none)");
                }
            }

            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _udp?.Dispose(); // wakes the receive threads
        _tcp?.Dispose();
        foreach (var thread in _udpThreads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }

        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        await Task.WhenAll(_inFlight.Keys).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private bool CanForward => _options.EnableForwarding && _forwarder.Enabled;

    private void Bind()
    {
        // with port 0 for both, UDP picks the port and TCP takes the same one; retry if TCP's is busy
        for (var attempt = 0; ; attempt++)
        {
            var udp = new Socket(_options.UdpListen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            Socket? tcp = null;
            var binding = _options.UdpListen;
            try
            {
                udp.Bind(binding);
                udp.ReceiveBufferSize = 4 << 20;
                udp.SendBufferSize = 4 << 20;
                // a blocked ReceiveFrom also returns now and then, so shutdown never depends on a wake-up
                udp.ReceiveTimeout = 1000;
                var udpEndpoint = (IPEndPoint)udp.LocalEndPoint!;
                var tcpEndpoint = _options.TcpListen ?? new IPEndPoint(udpEndpoint.Address, udpEndpoint.Port);
                tcp = new Socket(tcpEndpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                binding = tcpEndpoint;
                tcp.Bind(tcpEndpoint);
                tcp.Listen(512);
                _udp = udp;
                _tcp = tcp;
                UdpEndpoint = udpEndpoint;
                TcpEndpoint = (IPEndPoint)tcp.LocalEndPoint!;
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse
                                             && _options.UdpListen.Port == 0 && _options.TcpListen is null && attempt < 20)
            {
                udp.Dispose();
                tcp?.Dispose();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                udp.Dispose();
                tcp?.Dispose();
                throw new ListenAddressInUseException(binding.ToString(), ListenAddressInUseException.Dns, e);
            }
            catch
            {
                udp.Dispose();
                tcp?.Dispose();
                throw;
            }
        }
    }

    private IReadOnlyList<IPEndPoint> ChooseRecursors()
    {
        if (!_options.EnableForwarding)
        {
            return [];
        }

        var candidates = _options.Recursors ?? DnsOptions.ReadResolvConf(_options.ResolvConfPath);
        var result = new List<IPEndPoint>();
        foreach (var recursor in candidates)
        {
            var self = recursor.Port == UdpEndpoint.Port
                       && (recursor.Address.Equals(UdpEndpoint.Address)
                           || (IPAddress.IsLoopback(recursor.Address) && (UdpEndpoint.Address.Equals(IPAddress.Any) || UdpEndpoint.Address.Equals(IPAddress.IPv6Any))));
            if (self)
            {
                DnsLog.RecursorIsSelf(_logger, recursor); // forwarding to ourselves would loop
                continue;
            }

            result.Add(recursor);
        }

        return result;
    }

    private uint UnixSerial() => (uint)Math.Clamp(_time.GetUtcNow().ToUnixTimeSeconds(), 1, uint.MaxValue);

    private void Track(Task task)
    {
        _inFlight.TryAdd(task, true);
        _ = task.ContinueWith(static (t, state) => ((ConcurrentDictionary<Task, bool>)state!).TryRemove(t, out _),
            _inFlight, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
