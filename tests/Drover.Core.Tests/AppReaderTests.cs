using System.Text.Json;
using Drover.Core.Apps;
using Drover.Core.Validation;

namespace Drover.Core.Tests;

public class AppReaderTests
{
    private static (AppDefinition? App, ValidationErrors Errors) Read(string json, string? id = null)
    {
        var errors = new ValidationErrors();
        using var doc = JsonDocument.Parse(json);
        return (AppReader.Read(doc.RootElement, id, errors), errors);
    }

    [Fact]
    public void FillsMarathonDefaults()
    {
        var (app, errors) = Read("""{"id":"web","cmd":"sleep 100"}""");
        Assert.False(errors.Any, errors.ToString());
        Assert.Equal("/web", app!.Id);
        Assert.Equal(1, app.Instances);
        Assert.Equal(1.0, app.Cpus);
        Assert.Equal(128.0, app.Mem);
        Assert.Equal(1, app.BackoffSeconds);
        Assert.Equal(1.15, app.BackoffFactor);
        Assert.Equal(3600, app.MaxLaunchDelaySeconds);
        Assert.Equal(KillSelections.YoungestFirst, app.KillSelection);
        Assert.Equal(1.0, app.UpgradeStrategy.MinimumHealthCapacity);
        var port = Assert.Single(app.PortDefinitions);
        Assert.Equal(0, port.Port);
        Assert.Equal("default", port.Name);
    }

    [Fact]
    public void EmptyPortDefinitionsMeansNoPorts()
    {
        var (app, errors) = Read("""{"id":"/a","cmd":"x","portDefinitions":[]}""");
        Assert.False(errors.Any);
        Assert.Empty(app!.PortDefinitions);
    }

    [Fact]
    public void ReportsEveryBadFieldWithItsPath()
    {
        var (_, errors) = Read("""
            {"id":"/Bad_Id","cmd":"x","cpus":"lots","instances":-1,"mem":true,
             "upgradeStrategy":{"minimumHealthCapacity":2},
             "healthChecks":[{"protocol":"HTTP","portIndex":5},{"protocol":"COMMAND"}],
             "killSelection":"RANDOM","env":{"A":1}}
            """);
        var paths = errors.Items.Select(i => i.Path).ToHashSet();
        Assert.Contains("/id", paths);
        Assert.Contains("/cpus", paths);
        Assert.Contains("/instances", paths);
        Assert.Contains("/mem", paths);
        Assert.Contains("/upgradeStrategy/minimumHealthCapacity", paths);
        Assert.Contains("/healthChecks(0)/portIndex", paths);
        Assert.Contains("/healthChecks(1)/command", paths);
        Assert.Contains("/killSelection", paths);
        Assert.Contains("/env/A", paths);
        Assert.Contains(errors.Items, i => i.Path == "/cpus" && i.Errors.Any(e => e.Contains("expected a number")));
    }

    [Fact]
    public void CmdAndArgsAreExclusiveAndOneIsRequired()
    {
        Assert.True(Read("""{"id":"/a","cmd":"x","args":["y"]}""").Errors.Any);
        Assert.True(Read("""{"id":"/a"}""").Errors.Any);
        Assert.False(Read("""{"id":"/a","args":["/bin/sleep","1"]}""").Errors.Any);
        Assert.False(Read("""{"id":"/a","container":{"type":"DOCKER","docker":{"image":"busybox"}}}""").Errors.Any);
    }

    [Fact]
    public void HealthCheckDefaultsPerProtocol()
    {
        var (app, errors) = Read("""
            {"id":"/a","cmd":"x","healthChecks":[{"protocol":"HTTP"},{"protocol":"TCP"},{"protocol":"COMMAND","command":{"value":"true"}},{"protocol":"http","path":"/h","command":"ignored"}]}
            """);
        Assert.False(errors.Any, errors.ToString());
        var http = app!.HealthChecks[0];
        Assert.Equal("/", http.Path);
        Assert.Equal(0, http.PortIndex);
        Assert.Equal(300, http.GracePeriodSeconds);
        Assert.Equal(60, http.IntervalSeconds);
        Assert.Equal(20, http.TimeoutSeconds);
        Assert.Equal(3, http.MaxConsecutiveFailures);
        Assert.False(http.IgnoreHttp1xx);
        Assert.Null(app.HealthChecks[1].Path);
        Assert.Null(app.HealthChecks[2].PortIndex);
        Assert.Equal(15, app.HealthChecks[2].DelaySeconds);
        Assert.Equal("HTTP", app.HealthChecks[3].Protocol);
    }

    [Fact]
    public void RelativeIdsAndDependenciesResolve()
    {
        var (app, errors) = Read("""{"id":"web","cmd":"x","dependencies":["../db","cache"]}""", id: "/prod/./web");
        Assert.False(errors.Any, errors.ToString());
        Assert.Equal("/prod/web", app!.Id);
        Assert.Equal(["/db", "/prod/cache"], app.Dependencies);
    }

    [Fact]
    public void UrisBecomeFetchEntries()
    {
        var (app, _) = Read("""{"id":"/a","cmd":"x","uris":["http://h/a.tgz","http://h/b.sh"]}""");
        Assert.Equal(2, app!.Fetch.Count);
        Assert.True(app.Fetch[0].Extract);
        Assert.False(app.Fetch[1].Extract);
        Assert.Equal(["http://h/a.tgz", "http://h/b.sh"], app.Uris);
    }

    [Fact]
    public void ConstraintCheckIsApplied()
    {
        var errors = new ValidationErrors();
        using var doc = JsonDocument.Parse("""{"id":"/a","cmd":"x","constraints":[["hostname","UNIQUE"],["rack","NOPE"],["x"]]}""");
        AppReader.Read(doc.RootElement, null, errors, c => c[1] == "NOPE" ? "unknown operator NOPE" : null);
        Assert.Contains(errors.Items, i => i.Path == "/constraints(1)" && i.Errors.Contains("unknown operator NOPE"));
        Assert.Contains(errors.Items, i => i.Path == "/constraints(2)");
        Assert.DoesNotContain(errors.Items, i => i.Path == "/constraints(0)");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"x\"")]
    [InlineData("42")]
    [InlineData("null")]
    public void NonObjectBodiesAreErrorsNotCrashes(string json)
    {
        var (app, errors) = Read(json);
        Assert.Null(app);
        Assert.True(errors.Any);
    }

    [Fact]
    public void RandomJsonNeverThrows()
    {
        var rng = new Random(12345);
        string[] keys = ["id", "cmd", "args", "cpus", "mem", "instances", "env", "labels", "constraints", "healthChecks", "portDefinitions", "ports", "upgradeStrategy", "container", "fetch", "uris", "unreachableStrategy", "dependencies"];
        string[] values = ["1", "-5", "1e308", "\"s\"", "null", "true", "[]", "{}", "[1,\"a\",null]", "{\"a\":{\"b\":[]}}", "[[\"hostname\"]]", "[{\"protocol\":7}]", "\"/a/../..\""];
        for (var i = 0; i < 3000; i++)
        {
            var fields = Enumerable.Range(0, rng.Next(0, 8)).Select(_ => $"\"{keys[rng.Next(keys.Length)]}\":{values[rng.Next(values.Length)]}").Distinct();
            var json = "{" + string.Join(",", fields) + "}";
            try { Read(json); }
            catch (JsonException) { /* duplicate keys: the parser's own error, still not a crash */ }
        }
    }
}

public class UnreachableStrategyJsonTests
{
    [Fact]
    public void DisabledRoundTripsAsTheStringDisabled()
    {
        var errors = new ValidationErrors();
        using var doc = JsonDocument.Parse("""{"id":"/a","cmd":"x","unreachableStrategy":"disabled"}""");
        var app = AppReader.Read(doc.RootElement, null, errors)!;
        Assert.False(errors.Any, errors.ToString());
        Assert.True(app.UnreachableStrategy.IsDisabled);
        var json = JsonSerializer.Serialize(app, Json.CoreJsonContext.Default.AppDefinition);
        Assert.Contains("\"unreachableStrategy\":\"disabled\"", json);
        var back = JsonSerializer.Deserialize(json, Json.CoreJsonContext.Default.AppDefinition)!;
        Assert.True(back.UnreachableStrategy.IsDisabled);
        var normal = JsonSerializer.Serialize(app with { UnreachableStrategy = new UnreachableStrategy { InactiveAfterSeconds = 5, ExpungeAfterSeconds = 10 } }, Json.CoreJsonContext.Default.AppDefinition);
        Assert.Contains("\"unreachableStrategy\":{\"inactiveAfterSeconds\":5,\"expungeAfterSeconds\":10}", normal);
    }
}
