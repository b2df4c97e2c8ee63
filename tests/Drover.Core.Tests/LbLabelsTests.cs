using Drover.Core.Apps;
using Drover.Core.Routing;

namespace Drover.Core.Tests;

public class LbLabelsTests
{
    private static AppDefinition App(Dictionary<string, string> labels, int ports = 1) => new()
    {
        Id = "/web",
        Cmd = "x",
        Labels = labels,
        PortDefinitions = [.. Enumerable.Range(0, ports).Select(i => new PortDefinition { Port = 10000 + i })],
    };

    [Fact]
    public void WithoutLabelsEveryPortIsATcpRouteOnItsServicePortInGroupExternal()
    {
        var r = LbLabels.Parse(App([], ports: 2));
        Assert.Empty(r.Problems);
        Assert.Equal(["external"], r.Groups);
        Assert.True(r.InGroup("external"));
        Assert.False(r.InGroup("internal"));
        Assert.True(r.InGroup("*"));
        Assert.Equal([10000, 10001], r.Routes.Select(x => x.ServicePort));
        Assert.All(r.Routes, x => Assert.Equal(LbMode.Tcp, x.Mode));
        Assert.All(r.Routes, x => Assert.Equal("roundrobin", x.Balance));
    }

    [Fact]
    public void VhostAndPathMakeAnHttpRoute()
    {
        var r = LbLabels.Parse(App(new()
        {
            ["HAPROXY_GROUP"] = "internal,edge",
            ["HAPROXY_0_VHOST"] = "Fib.example.com, www.example.com",
            ["HAPROXY_0_PATH"] = "/services/fibonacci/",
            ["HAPROXY_0_PATH_STRIP"] = "true",
            ["HAPROXY_0_BALANCE"] = "leastconn",
            ["HAPROXY_0_STICKY"] = "true",
            ["HAPROXY_0_HTTP_CHECK_PATH"] = "/health",
            ["HAPROXY_0_SSL_CERT"] = "/etc/ssl/cert.pem", // marathon-lb's other labels are left alone
        }));
        Assert.Empty(r.Problems);
        Assert.Equal(["internal", "edge"], r.Groups);
        var route = Assert.Single(r.Routes);
        Assert.Equal(LbMode.Http, route.Mode);
        Assert.Equal(["fib.example.com", "www.example.com"], route.VHosts);
        Assert.Equal("/services/fibonacci", route.Path);
        Assert.True(route.StripPath);
        Assert.Equal("leastconn", route.Balance);
        Assert.True(route.Sticky);
        Assert.Equal("/health", route.HttpCheckPath);
        Assert.True(route.IsHttpRouted);
    }

    [Fact]
    public void ServicePortsComeFromPortMappingsOnBridgeNetworks()
    {
        var app = new AppDefinition
        {
            Id = "/c",
            Container = new ContainerSpec
            {
                Docker = new DockerSpec { Image = "x", Network = "BRIDGE" },
                PortMappings = [new PortMapping { ContainerPort = 80, ServicePort = 10080 }, new PortMapping { ContainerPort = 81, ServicePort = 10081 }],
            },
            Labels = new Dictionary<string, string> { ["HAPROXY_1_MODE"] = "http" },
        };
        var r = LbLabels.Parse(app);
        Assert.Empty(r.Problems);
        Assert.Equal([10080, 10081], r.Routes.Select(x => x.ServicePort));
        Assert.Equal(LbMode.Http, r.Routes[1].Mode);
        Assert.False(r.Routes[1].IsHttpRouted);
    }

    [Theory]
    [InlineData("HAPROXY_0_MODE", "udp", "HAPROXY_0_MODE: must be http or tcp, got 'udp'")]
    [InlineData("HAPROXY_0_BALANCE", "static-rr", "HAPROXY_0_BALANCE: must be one of roundrobin, leastconn, source, first, random, got 'static-rr'")]
    [InlineData("HAPROXY_0_PATH", "api", "HAPROXY_0_PATH: must start with '/', got 'api'")]
    [InlineData("HAPROXY_0_PATH", "/a b", "HAPROXY_0_PATH: '/a b' has characters a URL path cannot hold unescaped")]
    [InlineData("HAPROXY_0_VHOST", "ok.com,bad host", "HAPROXY_0_VHOST: 'bad host' is not a valid host name")]
    [InlineData("HAPROXY_0_VHOST", " , ", "HAPROXY_0_VHOST: must name at least one host")]
    [InlineData("HAPROXY_0_STICKY", "yes", "HAPROXY_0_STICKY: must be true or false, got 'yes'")]
    [InlineData("HAPROXY_0_STICKY", "true", "HAPROXY_0_STICKY: cookie stickiness needs HTTP; set HAPROXY_0_MODE=http")]
    [InlineData("HAPROXY_0_PATH_STRIP", "true", "HAPROXY_0_PATH_STRIP: needs HAPROXY_0_PATH (the prefix to strip)")]
    [InlineData("HAPROXY_0_HTTP_CHECK_PATH", "health", "HAPROXY_0_HTTP_CHECK_PATH: must be a URL path starting with '/', got 'health'")]
    [InlineData("HAPROXY_1_VHOST", "a.com", "HAPROXY_1_VHOST: the app has 1 port; port index 1 does not exist")]
    [InlineData("HAPROXY_GROUP", "ex ternal", "HAPROXY_GROUP: 'ex ternal' is not a group name (letters, digits, '-', '_', '.'; several separated by commas)")]
    public void BadValuesAreNamedByLabel(string label, string value, string expected)
    {
        var r = LbLabels.Parse(App(new() { [label] = value }));
        Assert.Equal(expected, Assert.Single(r.Problems).ToString());
    }

    [Fact]
    public void TcpModeCannotRouteByHostOrPath()
    {
        var r = LbLabels.Parse(App(new() { ["HAPROXY_0_MODE"] = "tcp", ["HAPROXY_0_VHOST"] = "a.com" }));
        Assert.Equal("HAPROXY_0_MODE: tcp cannot route by HAPROXY_0_VHOST or HAPROXY_0_PATH; use http", Assert.Single(r.Problems).ToString());
    }

    [Fact]
    public void AppRulesReportLabelProblemsUnderTheLabelsPath()
    {
        var e = new Drover.Core.Validation.ValidationErrors();
        Drover.Core.Validation.AppRules.Check(App(new() { ["HAPROXY_0_MODE"] = "udp" }), e);
        var item = Assert.Single(e.Items);
        Assert.Equal("/labels/HAPROXY_0_MODE", item.Path);
        Assert.Equal("HAPROXY_0_MODE: must be http or tcp, got 'udp'", Assert.Single(item.Errors));
    }
}
