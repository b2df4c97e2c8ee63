using Drover.Core.Apps;
using Drover.Core.Discovery;
using Drover.Core.Validation;
using Drover.Dns;
using Drover.Server.Discovery;

namespace Drover.Server.Apps;

/// <summary>
/// The DNS names discovery builds from an app must be servable, or the app runs but is never
/// found (Drover.Dns skips names that are not). Its service name (DiscoveryLabels: the id's
/// segments reversed and joined with '-', or the DROVER_SERVICE_NAME label) is one label, and the
/// longest name made from it, _&lt;service&gt;._tcp.service.&lt;dc&gt;.&lt;domain&gt;, must fit in 253 characters
/// with the configured domain. A failover name (&lt;service&gt;-vip) is a label too.
/// </summary>
public sealed class DiscoveryNameLimits(string domain, string datacenter)
{
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    public static DiscoveryNameLimits From(ServerOptions options)
    {
        var dns = new DnsOptions { Domain = options.DnsDomain };
        return new DiscoveryNameLimits(dns.NormalizedDomain, dns.NormalizedDatacenter);
    }

    /// <summary>The longest DNS name built from a service name (see RecordSetBuilder: Consul-style RFC 2782 names with the datacenter).</summary>
    public string LongestName(string service) => $"_{service}._tcp.service.{datacenter}.{domain}";

    public void CheckApp(AppDefinition app, ValidationErrors errors) => Check(app.Id, app.Labels, "/id", errors);

    /// <summary>A group id gives the service names of the apps directly in it, so it has to leave them room.</summary>
    public void CheckGroup(string groupId, string idPath, ValidationErrors errors) => Check(groupId, NoLabels, idPath, errors);

    private void Check(string id, IReadOnlyDictionary<string, string> labels, string idPath, ValidationErrors errors)
    {
        string service, source;
        if (labels.TryGetValue(DiscoveryLabels.ServiceName, out var named))
        {
            idPath = "/labels/" + DiscoveryLabels.ServiceName;
            if (!IdLimits.IsDnsLabel(named))
            {
                errors.Add(idPath, $"'{IdLimits.Abbreviate(named)}' ({named.Length} characters) is not a DNS label: 1 to {IdLimits.MaxLabelLength} letters, digits and hyphens, not starting or ending with a hyphen");
                return;
            }
            (service, source) = (named.ToLowerInvariant(), "service name");
        }
        else
        {
            (service, source) = (DiscoveryLabels.ServiceNameOf(id, NoLabels), "id");
            if (service.Length > IdLimits.MaxLabelLength)
            {
                errors.Add(idPath, $"the service name built from this id ('{IdLimits.Abbreviate(service)}', its segments reversed and joined with '-') is {service.Length} characters; a DNS label holds at most {IdLimits.MaxLabelLength} (shorten the id, or name the service with the label {DiscoveryLabels.ServiceName})");
                return;
            }
        }
        CheckName(service, source, idPath, errors);
        if (DiscoveryLabels.FailoverOf(service, labels) is { } policy)
        {
            var alias = FailoverResolver.AliasOf(policy);
            if (alias.Length > IdLimits.MaxLabelLength)
                errors.Add("/labels/" + DiscoveryLabels.Failover, $"the failover name '{IdLimits.Abbreviate(alias)}' is {alias.Length} characters; a DNS label holds at most {IdLimits.MaxLabelLength} (set {DiscoveryLabels.FailoverAlias} to a shorter name)");
            else CheckName(alias, "failover name", "/labels/" + DiscoveryLabels.Failover, errors);
        }
    }

    private void CheckName(string label, string source, string path, ValidationErrors errors)
    {
        var longest = LongestName(label);
        if (longest.Length > IdLimits.MaxDnsNameLength)
            errors.Add(path, $"the DNS name built from this {source} ('{IdLimits.Abbreviate(longest, 60)}') would be {longest.Length} characters; a DNS name holds at most {IdLimits.MaxDnsNameLength} (domain '{domain}')");
    }
}
