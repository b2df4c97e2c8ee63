using Drover.Lb.Model;

namespace Drover.Lb.Control;

/// <summary>
/// Another proxy kept in step with the same desired state as HAProxy (Nginx for consul-template's users): the
/// controller hands it every <see cref="LbConfig"/> it builds, after the debounce, on each sync and resync. The sink
/// decides itself whether anything changed (Nginx: the rendered text).
/// </summary>
public interface ILbConfigSink
{
    /// <summary>Null when the config took effect (or nothing changed); otherwise why not, for the lb's last error.</summary>
    Task<string?> ApplyAsync(LbConfig config, CancellationToken ct);
}
