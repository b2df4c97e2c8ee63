namespace Drover.Lb.Nginx;

/// <summary>Where the rendered Nginx listens and keeps its files.</summary>
public sealed record NginxSettings
{
    /// <summary>The prefix directory (<c>nginx -p</c>): pid file, error log and temp directories live here.</summary>
    public required string Prefix { get; init; }
    /// <summary>Address every server binds to ("*" = all).</summary>
    public string BindAddress { get; init; } = "*";
    /// <summary>The shared HTTP listener for vhost and path routes; 0 = none. marathon-lb uses 80.</summary>
    public int HttpPort { get; init; } = 80;
    /// <summary>
    /// ngx_stream_module.so for TCP service ports (Debian ships it as libnginx-mod-stream, a dynamic module). Null:
    /// TCP listeners are left out with a comment saying so, since Nginx refuses a stream block it cannot load.
    /// </summary>
    public string? StreamModulePath { get; init; }

    public string PidFile => Path.Combine(Prefix, "nginx.pid");
    public string ErrorLog => Path.Combine(Prefix, "error.log");
    public string TempDir => Path.Combine(Prefix, "tmp");
}
