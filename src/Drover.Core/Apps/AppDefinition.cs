using System.Text.Json.Serialization;

namespace Drover.Core.Apps;

/// <summary>
/// A normalised app definition in Marathon's JSON shape. Every default is filled in, so two
/// definitions can be compared field by field. Property names are Marathon's; the API adds the
/// read-only extras (task counts, deployments, tasks) by deriving from this record.
/// </summary>
public record AppDefinition
{
    public required string Id { get; init; }
    public string? Cmd { get; init; }
    public IReadOnlyList<string>? Args { get; init; }
    public string? User { get; init; }
    public IReadOnlyDictionary<string, string> Env { get; init; } = Empty.Strings;
    public int Instances { get; init; } = 1;
    public double Cpus { get; init; } = 1.0;
    public double Mem { get; init; } = 128.0;
    public double Disk { get; init; }
    public int Gpus { get; init; }
    public string Executor { get; init; } = "";
    public IReadOnlyList<IReadOnlyList<string>> Constraints { get; init; } = [];
    public IReadOnlyList<string> Uris { get; init; } = [];
    public IReadOnlyList<FetchUri> Fetch { get; init; } = [];
    public IReadOnlyList<string> StoreUrls { get; init; } = [];
    public IReadOnlyList<int> Ports { get; init; } = [];
    public IReadOnlyList<PortDefinition> PortDefinitions { get; init; } = [];
    public bool RequirePorts { get; init; }
    public double BackoffSeconds { get; init; } = 1;
    public double BackoffFactor { get; init; } = 1.15;
    public double MaxLaunchDelaySeconds { get; init; } = 3600;
    public ContainerSpec? Container { get; init; }
    public IReadOnlyList<HealthCheckDefinition> HealthChecks { get; init; } = [];
    public IReadOnlyList<ReadinessCheckDefinition> ReadinessChecks { get; init; } = [];
    public IReadOnlyList<string> Dependencies { get; init; } = [];
    public UpgradeStrategy UpgradeStrategy { get; init; } = UpgradeStrategy.Default;
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty.Strings;
    public IReadOnlyList<string>? AcceptedResourceRoles { get; init; }
    public IReadOnlyList<NetworkSpec>? Networks { get; init; }
    public IReadOnlyDictionary<string, SecretSource> Secrets { get; init; } = Empty.Secrets;
    public int? TaskKillGracePeriodSeconds { get; init; }
    public UnreachableStrategy UnreachableStrategy { get; init; } = UnreachableStrategy.Default;
    public string KillSelection { get; init; } = KillSelections.YoungestFirst;
    public string? Version { get; init; }
    public VersionInfo? VersionInfo { get; init; }
}

public static class Empty
{
    public static readonly IReadOnlyDictionary<string, string> Strings = new Dictionary<string, string>();
    public static readonly IReadOnlyDictionary<string, SecretSource> Secrets = new Dictionary<string, SecretSource>();
}

public static class KillSelections
{
    public const string YoungestFirst = "YOUNGEST_FIRST";
    public const string OldestFirst = "OLDEST_FIRST";
}

public sealed record FetchUri
{
    public required string Uri { get; init; }
    public bool Extract { get; init; } = true;
    public bool Executable { get; init; }
    public bool Cache { get; init; }
    public string? DestPath { get; init; }
}

public sealed record PortDefinition
{
    public int Port { get; init; }
    public string Protocol { get; init; } = "tcp";
    public string? Name { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty.Strings;
}

public sealed record UpgradeStrategy
{
    public static readonly UpgradeStrategy Default = new() { MinimumHealthCapacity = 1.0, MaximumOverCapacity = 1.0 };
    public double MinimumHealthCapacity { get; init; } = 1.0;
    public double MaximumOverCapacity { get; init; } = 1.0;
}

/// <summary>Marathon's unreachableStrategy; "disabled" (never replace) is infinite seconds and is written back as "disabled".</summary>
[JsonConverter(typeof(UnreachableStrategyConverter))]
public sealed record UnreachableStrategy
{
    public static readonly UnreachableStrategy Default = new();
    public static readonly UnreachableStrategy Disabled = new() { InactiveAfterSeconds = double.PositiveInfinity, ExpungeAfterSeconds = double.PositiveInfinity };
    public bool IsDisabled => double.IsPositiveInfinity(InactiveAfterSeconds);
    public double InactiveAfterSeconds { get; init; }
    public double ExpungeAfterSeconds { get; init; }
}

public sealed record VersionInfo
{
    public required string LastScalingAt { get; init; }
    public required string LastConfigChangeAt { get; init; }
}

public sealed record SecretSource
{
    public string? Source { get; init; }
}

public sealed record NetworkSpec
{
    public string Mode { get; init; } = "host";
    public string? Name { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

public sealed record HealthCheckDefinition
{
    public string Protocol { get; init; } = HealthProtocols.Http;
    public string? Path { get; init; }
    public int? PortIndex { get; init; }
    public int? Port { get; init; }
    public CommandSpec? Command { get; init; }
    public int GracePeriodSeconds { get; init; } = 300;
    public int IntervalSeconds { get; init; } = 60;
    public int TimeoutSeconds { get; init; } = 20;
    public int MaxConsecutiveFailures { get; init; } = 3;
    public bool? IgnoreHttp1xx { get; init; }
    public int? DelaySeconds { get; init; }
}

public static class HealthProtocols
{
    public const string Http = "HTTP";
    public const string Https = "HTTPS";
    public const string Tcp = "TCP";
    public const string Command = "COMMAND";
    public const string MesosHttp = "MESOS_HTTP";
    public const string MesosHttps = "MESOS_HTTPS";
    public const string MesosTcp = "MESOS_TCP";
    public static readonly IReadOnlySet<string> All = new HashSet<string> { Http, Https, Tcp, Command, MesosHttp, MesosHttps, MesosTcp };
}

public sealed record CommandSpec
{
    public required string Value { get; init; }
}

public sealed record ReadinessCheckDefinition
{
    public string Name { get; init; } = "readinessCheck";
    public string Protocol { get; init; } = "HTTP";
    public string Path { get; init; } = "/";
    public string PortName { get; init; } = "http-api";
    public int IntervalSeconds { get; init; } = 30;
    public int TimeoutSeconds { get; init; } = 10;
    public IReadOnlyList<int> HttpStatusCodesForReady { get; init; } = [200];
    public bool PreserveLastResponse { get; init; }
}

public sealed record ContainerSpec
{
    public string Type { get; init; } = "DOCKER";
    public DockerSpec? Docker { get; init; }
    public IReadOnlyList<VolumeSpec> Volumes { get; init; } = [];
    public IReadOnlyList<PortMapping>? PortMappings { get; init; }
}

public sealed record DockerSpec
{
    public required string Image { get; init; }
    public string? Network { get; init; }
    public IReadOnlyList<PortMapping>? PortMappings { get; init; }
    public IReadOnlyList<DockerParameter> Parameters { get; init; } = [];
    public bool Privileged { get; init; }
    public bool ForcePullImage { get; init; }
}

public sealed record DockerParameter
{
    public required string Key { get; init; }
    public required string Value { get; init; }
}

public sealed record PortMapping
{
    public int ContainerPort { get; init; }
    public int? HostPort { get; init; }
    public int ServicePort { get; init; }
    public string Protocol { get; init; } = "tcp";
    public string? Name { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

public sealed record VolumeSpec
{
    public required string ContainerPath { get; init; }
    public string? HostPath { get; init; }
    public string Mode { get; init; } = "RW";
}

public sealed class UnreachableStrategyConverter : JsonConverter<UnreachableStrategy>
{
    public override UnreachableStrategy Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
    {
        if (reader.TokenType == System.Text.Json.JsonTokenType.String)
            return reader.GetString() == "disabled" ? UnreachableStrategy.Disabled : throw new System.Text.Json.JsonException("unreachableStrategy must be \"disabled\" or an object");
        if (reader.TokenType != System.Text.Json.JsonTokenType.StartObject) throw new System.Text.Json.JsonException("unreachableStrategy must be an object");
        double inactive = 0, expunge = 0;
        while (reader.Read() && reader.TokenType != System.Text.Json.JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            if (name == "inactiveAfterSeconds") inactive = reader.GetDouble();
            else if (name == "expungeAfterSeconds") expunge = reader.GetDouble();
            else reader.Skip();
        }
        return new UnreachableStrategy { InactiveAfterSeconds = inactive, ExpungeAfterSeconds = expunge };
    }

    public override void Write(System.Text.Json.Utf8JsonWriter writer, UnreachableStrategy value, System.Text.Json.JsonSerializerOptions options)
    {
        if (value.IsDisabled) { writer.WriteStringValue("disabled"); return; }
        writer.WriteStartObject();
        writer.WriteNumber("inactiveAfterSeconds", value.InactiveAfterSeconds);
        writer.WriteNumber("expungeAfterSeconds", value.ExpungeAfterSeconds);
        writer.WriteEndObject();
    }
}
