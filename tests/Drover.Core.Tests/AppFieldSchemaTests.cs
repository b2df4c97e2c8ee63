using System.Text.Json;
using System.Text.Json.Serialization;
using Drover.Core.Apps;
using Drover.Core.Json;
using Drover.Core.Validation;

namespace Drover.Core.Tests;

public class AppFieldSchemaTests
{
    private static IReadOnlyList<UnknownField> Unknown(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return AppFieldSchema.FindUnknown(doc.RootElement);
    }

    /// <summary>An app with every property set, so its JSON carries every field Drover writes (and reads back).</summary>
    private static AppDefinition FullApp()
    {
        var labels = new Dictionary<string, string> { ["k"] = "v" };
        var mapping = new PortMapping { ContainerPort = 80, HostPort = 0, ServicePort = 10001, Protocol = "tcp", Name = "http", Labels = labels };
        return new AppDefinition
        {
            Id = "/prod/web",
            Cmd = "serve",
            Args = ["--port", "80"],
            User = "nobody",
            Env = new Dictionary<string, string> { ["A"] = "1" },
            Instances = 2,
            Cpus = 0.5,
            Mem = 64,
            Disk = 10,
            Gpus = 0,
            Executor = "//cmd",
            Constraints = [["hostname", "UNIQUE"]],
            Uris = ["http://example.invalid/a.tgz"],
            Fetch = [new FetchUri { Uri = "http://example.invalid/a.tgz", DestPath = "a.tgz" }],
            StoreUrls = ["http://example.invalid/store"],
            Ports = [10000],
            PortDefinitions = [new PortDefinition { Port = 10000, Name = "http", Labels = labels }],
            RequirePorts = true,
            Container = new ContainerSpec
            {
                Docker = new DockerSpec
                {
                    Image = "busybox",
                    Network = "BRIDGE",
                    PortMappings = [mapping],
                    Parameters = [new DockerParameter { Key = "memory-swap", Value = "-1" }],
                    Privileged = false,
                    ForcePullImage = true,
                },
                Volumes = [new VolumeSpec { ContainerPath = "/data", HostPath = "/srv/data", Mode = "RO" }],
                PortMappings = [mapping],
            },
            HealthChecks = [new HealthCheckDefinition
            {
                Protocol = "HTTP", Path = "/health", PortIndex = 0, Port = 8080, Command = new CommandSpec { Value = "true" },
                IgnoreHttp1xx = true, DelaySeconds = 15,
            }],
            ReadinessChecks = [new ReadinessCheckDefinition()],
            Dependencies = ["/prod/db"],
            UpgradeStrategy = new UpgradeStrategy { MinimumHealthCapacity = 0.5, MaximumOverCapacity = 0.2 },
            Labels = labels,
            AcceptedResourceRoles = ["*"],
            Networks = [new NetworkSpec { Mode = "container/bridge", Name = "dcos", Labels = labels }],
            Secrets = new Dictionary<string, SecretSource> { ["s"] = new() { Source = "vault/s" } },
            TaskKillGracePeriodSeconds = 5,
            UnreachableStrategy = new UnreachableStrategy { InactiveAfterSeconds = 1, ExpungeAfterSeconds = 2 },
            KillSelection = KillSelections.OldestFirst,
            Version = "2024-01-02T03:04:05.678Z",
            VersionInfo = new VersionInfo { LastScalingAt = "2024-01-02T03:04:05.678Z", LastConfigChangeAt = "2024-01-02T03:04:05.678Z" },
        };
    }

    private static IEnumerable<string> NullPaths(JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Null:
                yield return path;
                break;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) foreach (var x in NullPaths(p.Value, path + "/" + p.Name)) yield return x;
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray()) foreach (var x in NullPaths(item, $"{path}({i++})")) yield return x;
                break;
        }
    }

    [Fact]
    public void EveryFieldOfAStoredAppIsKnown()
    {
        // nulls written too, so a property added to AppDefinition (or a record inside it) shows up here
        var options = new JsonSerializerOptions(CoreJsonContext.Default.Options) { DefaultIgnoreCondition = JsonIgnoreCondition.Never };
        var json = JsonSerializer.SerializeToElement(FullApp(), options.GetTypeInfo(typeof(AppDefinition)));
        Assert.Empty(NullPaths(json, "")); // if this fails, set the new property in FullApp() so its fields are checked below
        Assert.True(json.GetProperty("container").GetProperty("docker").TryGetProperty("portMappings", out _));

        var unknown = AppFieldSchema.FindUnknown(json);
        Assert.True(unknown.Count == 0, "fields missing from AppFieldSchema: " + string.Join(", ", unknown.Select(u => u.Path)));

        // and what AppReader makes of that JSON (defaults filled) is known as well
        var errors = new ValidationErrors();
        var read = AppReader.Read(json, null, errors);
        Assert.NotNull(read);
        Assert.Empty(AppFieldSchema.FindUnknown(JsonSerializer.SerializeToElement(read, options.GetTypeInfo(typeof(AppDefinition)))));
    }

    [Fact]
    public void MarathonsOwnCreateResponseIsKnown()
    {
        // compat.md §1.1: the app Marathon 1.4 answers to POST /v2/apps, with the fields later GETs add
        var unknown = Unknown("""
            {"id":"/web","cmd":"sleep 100","args":null,"user":null,"env":{},"instances":2,"cpus":1.0,"mem":128.0,"disk":0.0,
             "gpus":0,"executor":"","constraints":[],"uris":[],"fetch":[],"storeUrls":[],"backoffSeconds":1,"backoffFactor":1.15,
             "maxLaunchDelaySeconds":3600,"healthChecks":[],"readinessChecks":[],"dependencies":[],
             "upgradeStrategy":{"minimumHealthCapacity":1.0,"maximumOverCapacity":1.0},"labels":{},"version":"2017-05-02T10:11:12.345Z",
             "secrets":{},"unreachableStrategy":{"inactiveAfterSeconds":0,"expungeAfterSeconds":0},"killSelection":"YOUNGEST_FIRST",
             "ports":[10000],"portDefinitions":[{"port":10000,"protocol":"tcp","name":"default","labels":{}}],"requirePorts":false,
             "tasksStaged":0,"tasksRunning":0,"tasksHealthy":0,"tasksUnhealthy":0,"tasks":[],
             "deployments":[{"id":"5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43"}],
             "versionInfo":{"lastScalingAt":"2017-05-02T10:11:12.345Z","lastConfigChangeAt":"2017-05-02T10:11:12.345Z"},
             "lastTaskFailure":{"appId":"/web"},"taskStats":{},"readinessCheckResults":[],
             "role":"*","tty":false,"executorResources":{"cpus":0.1},"resourceLimits":{"cpus":"unlimited"},"check":{}}
            """);
        Assert.Empty(unknown);
    }

    [Theory]
    [InlineData("instnaces", "instances")]
    [InlineData("Instances", "instances")]
    [InlineData("CMD", "cmd")]
    [InlineData("cmdd", "cmd")]
    [InlineData("healthcheck", "healthChecks")]
    [InlineData("portDefinition", "portDefinitions")]
    [InlineData("contianer", "container")]
    [InlineData("dependecies", "dependencies")]
    [InlineData("backofSecond", "backoffSeconds")]
    [InlineData("maxLaunchDelaySecs", "maxLaunchDelaySeconds")]
    [InlineData("memory", null)]
    [InlineData("x", null)]
    [InlineData("completelyUnrelated", null)]
    public void TyposGetTheClosestKnownField(string typo, string? suggestion)
    {
        var found = Assert.Single(Unknown($$"""{"id":"/a","cmd":"x","{{typo}}":1}"""));
        Assert.Equal(typo, found.Name);
        Assert.Equal("/" + typo, found.Path);
        Assert.Equal(suggestion, found.Suggestion);
    }

    [Fact]
    public void NestedFieldsAreCheckedWithTheirPaths()
    {
        var unknown = Unknown("""
            {"id":"/a","cmd":"x",
             "healthChecks":[{"protocol":"HTTP"},{"gracePeriodSecond":3,"command":{"vlaue":"true"}}],
             "container":{"type":"DOCKER","docker":{"imgae":"busybox","parameters":[{"key":"a","valeu":"b"}]},
                          "volumes":[{"containerPath":"/d","persistent":{"szie":1}}],"portMappings":[{"containerport":80}]},
             "upgradeStrategy":{"minimumHealthCapacity":1,"maximumOverCapacty":0},
             "unreachableStrategy":{"inactiveAfterSecond":1},
             "portDefinitions":[{"prot":80}],"fetch":[{"url":"http://x"}],"readinessChecks":[{"portname":"http"}],
             "networks":[{"mod":"host"}],"residency":{"taskLostBehaviour":"WAIT_FOREVER"},
             "ipAddress":{"discovery":{"ports":[{"nubmer":1}]}}}
            """);
        var byPath = unknown.ToDictionary(u => u.Path, u => u.Suggestion);
        Assert.Equal(new Dictionary<string, string?>
        {
            ["/healthChecks(1)/gracePeriodSecond"] = "gracePeriodSeconds",
            ["/healthChecks(1)/command/vlaue"] = "value",
            ["/container/docker/imgae"] = "image",
            ["/container/docker/parameters(0)/valeu"] = "value",
            ["/container/volumes(0)/persistent/szie"] = "size",
            ["/container/portMappings(0)/containerport"] = "containerPort",
            ["/upgradeStrategy/maximumOverCapacty"] = "maximumOverCapacity",
            ["/unreachableStrategy/inactiveAfterSecond"] = "inactiveAfterSeconds",
            ["/portDefinitions(0)/prot"] = "port",
            ["/fetch(0)/url"] = "uri",
            ["/readinessChecks(0)/portname"] = "portName",
            ["/networks(0)/mod"] = "mode",
            ["/residency/taskLostBehaviour"] = "taskLostBehavior",
            ["/ipAddress/discovery/ports(0)/nubmer"] = "number",
        }, byPath);
    }

    [Fact]
    public void FreeMapsAndUnionValuesAreNotLookedInto()
    {
        Assert.Empty(Unknown("""
            {"id":"/a","cmd":"x","env":{"ANYTHING":"1","S":{"secret":"s"}},"labels":{"HAPROXY_GROUP":"external"},
             "secrets":{"s":{"source":"v"}},"unreachableStrategy":"disabled",
             "healthChecks":[{"protocol":"COMMAND","command":"true"}],"portDefinitions":[{"port":0,"labels":{"VIP_0":"x"}}],
             "constraints":[["hostname","UNIQUE"]],"tasks":[{"whatever":1}],"container":null}
            """));
    }

    [Fact]
    public void DescribeNamesThePathAndTheSuggestion()
    {
        Assert.Equal("unknown field 'instnaces' (did you mean 'instances'?)", new UnknownField("/instnaces", "instnaces", "instances").Describe());
        Assert.Equal("unknown field 'gracePeriodSecond' at /healthChecks(0) (did you mean 'gracePeriodSeconds'?)",
            new UnknownField("/healthChecks(0)/gracePeriodSecond", "gracePeriodSecond", "gracePeriodSeconds").Describe());
        Assert.Equal("unknown field 'zzz'", new UnknownField("/zzz", "zzz", null).Describe());
        Assert.Equal("unknown field 'zzz' at /container ignored", new UnknownField("/container/zzz", "zzz", null).Describe("ignored"));
        var typo = Assert.Single(Unknown("""{"id":"/a","cmd":"x","healthChecks":[{"gracePeriodSecond":3}]}"""));
        Assert.Equal("unknown field 'gracePeriodSecond' at /healthChecks(0) (did you mean 'gracePeriodSeconds'?)", typo.Describe());
    }

    [Fact]
    public void NonObjectsHaveNoFields()
    {
        Assert.Empty(Unknown("[1,2]"));
        Assert.Empty(Unknown("\"app\""));
        Assert.Empty(Unknown("{}"));
    }

    [Fact]
    public void GroupsCheckTheirAppsAndNestedGroups()
    {
        using var doc = JsonDocument.Parse("""
            {"id":"/prod","dependancies":["/db"],"enforceRole":false,"pods":[],"version":"2024-01-01T00:00:00.000Z","scaleBy":1,
             "apps":[{"id":"web","cmd":"x","instnaces":2}],
             "groups":[{"id":"inner","apps":[{"id":"a","cmd":"x","mem":1,"healthChecks":[{"intervalSecond":1}]}],
                        "groups":[{"id":"deeper","aps":[]}]}]}
            """);
        var unknown = GroupFieldSchema.FindUnknown(doc.RootElement);
        Assert.Equal(new Dictionary<string, string?>
        {
            ["/dependancies"] = "dependencies",
            ["/apps(0)/instnaces"] = "instances",
            ["/groups(0)/apps(0)/healthChecks(0)/intervalSecond"] = "intervalSeconds",
            ["/groups(0)/groups(0)/aps"] = "apps",
        }, unknown.ToDictionary(u => u.Path, u => u.Suggestion));
    }

    [Theory]
    [InlineData("ab", "ba", 1)]
    [InlineData("instnaces", "instances", 1)]
    [InlineData("", "abc", 3)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("same", "same", 0)]
    public void DistanceCountsSwapsAsOneEdit(string a, string b, int expected) => Assert.Equal(expected, NameSuggestions.Distance(a, b));
}
