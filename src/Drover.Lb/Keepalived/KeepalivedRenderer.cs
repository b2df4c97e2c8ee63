using System.Text;

namespace Drover.Lb.Keepalived;

/// <summary>
/// Renders keepalived.conf (keepalived 2.2) for one lb host, and its track script. Pure: the supervisor writes the
/// text. A failing track script puts the instance in FAULT, which gives up the VIP at once (a priority-0 advert), so
/// the peer takes it within about one advert interval instead of waiting three for the master to go silent.
/// </summary>
public static class KeepalivedRenderer
{
    public const string InstanceName = "drover_vip";
    public const string ScriptName = "drover_haproxy";

    public static string Render(KeepalivedSettings s)
    {
        var b = new StringBuilder();
        b.Append("# Written by drover lb; changes here are overwritten.\n");
        b.Append("global_defs {\n");
        b.Append($"    router_id {s.RouterName}\n");
        // The check only opens a loopback connection; root is what the lb already runs as. Script security makes
        // keepalived refuse a script that a non-root user could rewrite (it runs as root).
        b.Append("    script_user root\n");
        b.Append("    enable_script_security\n");
        b.Append("}\n\n");
        b.Append($"vrrp_script {ScriptName} {{\n");
        b.Append($"    script \"{s.TrackScriptPath}\"\n");
        b.Append($"    interval {s.AdvertIntervalSeconds}\n");
        b.Append("    timeout 2\n");
        // One failed check is enough: HAProxy answers its monitor URI from memory, so a miss means it is dead or stuck.
        b.Append("    fall 1\n");
        b.Append("    rise 2\n");
        b.Append("}\n\n");
        b.Append($"vrrp_instance {InstanceName} {{\n");
        // nopreempt needs every host to start as BACKUP; with preemption, priority decides anyway.
        b.Append("    state BACKUP\n");
        b.Append($"    interface {s.Interface}\n");
        b.Append($"    virtual_router_id {s.VirtualRouterId}\n");
        b.Append($"    priority {s.Priority}\n");
        b.Append($"    advert_int {s.AdvertIntervalSeconds}\n");
        if (s.Nopreempt) b.Append("    nopreempt\n");
        if (s.SourceAddress is { } src) b.Append($"    unicast_src_ip {src}\n");
        b.Append("    unicast_peer {\n");
        foreach (var p in s.Peers) b.Append($"        {p}\n");
        b.Append("    }\n");
        b.Append("    virtual_ipaddress {\n");
        b.Append($"        {s.Vip} dev {s.Interface}\n");
        b.Append("    }\n");
        b.Append("    track_script {\n");
        b.Append($"        {ScriptName}\n");
        b.Append("    }\n");
        b.Append("}\n");
        return b.ToString();
    }

    /// <summary>
    /// The check: the local HAProxy answers 200 on its monitor URI (an HTTP GET over bash's /dev/tcp, so neither curl
    /// nor socat is needed). A live process that no longer serves fails it too, unlike a pid check; no process-name
    /// match either (killall/pidof), which would also pass for another HAProxy on the machine. The read has its own
    /// 1 s limit, below keepalived's script timeout.
    /// </summary>
    public static string TrackScript(KeepalivedSettings s) =>
        "#!/bin/bash\n" +
        "# Written by drover lb: does the local HAProxy answer?\n" +
        $"exec 3<>/dev/tcp/127.0.0.1/{s.CheckPort} || exit 1\n" +
        $"printf 'GET {s.CheckPath} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 || exit 1\n" +
        "IFS= read -r -t 1 status <&3 || exit 1\n" +
        "case \"$status\" in \"HTTP/1.\"?\" 200\"*) exit 0 ;; esac\n" +
        "exit 1\n";
}
