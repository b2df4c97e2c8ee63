using Drover.Server.Storage;
using System.Text.Json;
using Drover.Core.Discovery;
using Drover.Core.Net;
using Drover.Server.Discovery;

namespace Drover.Server.Consul;

/// <summary>
/// Reads Consul service and check definitions the way Consul's decoder does: field names case-insensitive, with or
/// without underscores (python-consul sends "name", "check", "ttl", "docker_container_id"); unknown fields ignored;
/// wrong types and invalid values are a 400 naming the field.
/// </summary>
public static class RegistrationReader
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MinDeregisterAfter = TimeSpan.FromMinutes(1);

    public static JsonElement Parse(byte[] body)
    {
        if (body.Length == 0) throw ConsulException.BadRequest("Request decode failed: the request body is empty");
        try
        {
            using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
            if (Http.RequestReading.InvalidEscape(body) is { } problem) throw ConsulException.BadRequest($"Request decode failed: {problem}");
            return doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw ConsulException.BadRequest($"Request decode failed: {ex.Message}");
        }
    }

    public static ServiceRegistration ReadService(JsonElement body)
    {
        var f = Fields.Of(body, "service definition");
        var name = f.String("Name");
        if (string.IsNullOrWhiteSpace(name)) throw ConsulException.BadRequest("Missing service name");
        var id = f.String("ID") is { Length: > 0 } given ? given : name;
        if (f.String("Kind") is { Length: > 0 } kind) throw ConsulException.BadRequest($"Service kind \"{kind}\" is not supported");
        var port = f.Int("Port") ?? 0;
        if (port is < 0 or > 65535) throw ConsulException.BadRequest($"Invalid service port {port}: must be 0-65535");
        var meta = f.StringMap("Meta") ?? new Dictionary<string, string>();
        ValidateMeta(meta);
        var (wp, ww) = (1, 1);
        if (f.Object("Weights") is { } weights)
        {
            var w = Fields.Of(weights, "Weights");
            wp = w.Int("Passing") ?? 1;
            ww = w.Int("Warning") ?? 1;
            if (wp < 1) throw ConsulException.BadRequest("Invalid Weights: Passing must be greater than 0");
            if (ww < 0) throw ConsulException.BadRequest("Invalid Weights: Warning must not be negative");
        }
        var service = new ExternalService
        {
            Id = id,
            Name = name,
            Tags = f.StringList("Tags") ?? [],
            Address = f.String("Address") ?? "",
            Port = port,
            Meta = meta,
            EnableTagOverride = f.Bool("EnableTagOverride") ?? false,
            WeightPassing = wp,
            WeightWarning = ww,
        };

        var defs = new List<JsonElement>();
        if (f.Object("Check") is { } one) defs.Add(one);
        if (f.Array("Checks") is { } many)
        {
            foreach (var c in many.EnumerateArray())
            {
                if (c.ValueKind != JsonValueKind.Object) throw ConsulException.BadRequest("Request decode failed: Checks: every check must be an object");
                defs.Add(c);
            }
        }
        var checks = new List<CheckRegistration>();
        for (var i = 0; i < defs.Count; i++)
        {
            var defaultId = defs.Count == 1 ? $"service:{id}" : $"service:{id}:{i + 1}";
            var defaultName = $"Service '{name}' check";
            checks.Add(ReadCheck(defs[i], id, defaultId, defaultName, standalone: false));
        }
        if (checks.Select(c => c.Check.CheckId).Distinct(StringComparer.Ordinal).Count() != checks.Count)
            throw ConsulException.BadRequest("Invalid check: two checks of the service have the same CheckID");
        return new ServiceRegistration(service, checks);
    }

    /// <summary>A check definition. Standalone (/v1/agent/check/register): Name is required, ServiceID optional, ID defaults to Name.</summary>
    public static CheckRegistration ReadCheck(JsonElement body, string? serviceId, string? defaultId, string? defaultName, bool standalone)
    {
        var f = Fields.Of(body, "check definition");
        var name = f.String("Name");
        if (standalone && string.IsNullOrWhiteSpace(name)) throw ConsulException.BadRequest("Missing check name");
        name = string.IsNullOrWhiteSpace(name) ? defaultName! : name;
        var checkId = f.String("CheckID") ?? f.String("ID");
        checkId = string.IsNullOrWhiteSpace(checkId) ? defaultId ?? name : checkId;
        if (standalone) serviceId = f.String("ServiceID") ?? "";

        foreach (var unsupported in new[] { "GRPC", "H2PING", "DockerContainerID", "AliasNode", "AliasService", "OSService", "UDP" })
        {
            if (f.Has(unsupported) && f.String(unsupported) is { Length: > 0 })
                throw ConsulException.BadRequest($"Invalid check: {unsupported} checks are not supported (use TTL, HTTP, TCP or Args)");
        }

        var args = f.StringList("Args") ?? f.StringList("ScriptArgs");
        if ((args is null || args.Count == 0) && f.String("Script") is { Length: > 0 } script) args = ["/bin/sh", "-c", script];
        var http = f.String("HTTP");
        var tcp = f.String("TCP");
        var ttl = f.Duration("TTL");
        var kinds = new[] { args is { Count: > 0 }, !string.IsNullOrEmpty(http), !string.IsNullOrEmpty(tcp), ttl is not null }.Count(b => b);
        if (kinds == 0) throw ConsulException.BadRequest("Invalid check: one of TTL, HTTP, TCP or Args (script) must be given");
        if (kinds > 1) throw ConsulException.BadRequest("Invalid check: only one of TTL, HTTP, TCP or Args (script) may be given");

        var type = ttl is not null ? "ttl" : http is { Length: > 0 } ? "http" : tcp is { Length: > 0 } ? "tcp" : "script";
        var interval = f.Duration("Interval");
        if (type == "ttl" && ttl <= TimeSpan.Zero) throw ConsulException.BadRequest("Invalid check: TTL must be > 0 for TTL checks");
        if (type != "ttl")
        {
            if (interval is null || interval <= TimeSpan.Zero) throw ConsulException.BadRequest("Invalid check: Interval must be > 0 for Script, HTTP, or TCP checks");
            if (interval < MinInterval) interval = MinInterval; // Consul raises short intervals to its minimum too
        }
        var timeout = f.Duration("Timeout") ?? TimeSpan.FromSeconds(10);
        if (timeout <= TimeSpan.Zero) throw ConsulException.BadRequest("Invalid check: Timeout must be > 0");
        if (type == "http" && (!Uri.TryCreate(http, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
            throw ConsulException.BadRequest($"Invalid check: HTTP must be an absolute http:// or https:// URL, not '{http}'");
        if (type == "tcp" && !TryHostPort(tcp!)) throw ConsulException.BadRequest($"Invalid check: TCP must be host:port, not '{tcp}'");
        var deregister = f.Duration("DeregisterCriticalServiceAfter");
        if (deregister is { } d && d > TimeSpan.Zero && d < MinDeregisterAfter) deregister = MinDeregisterAfter;
        if (deregister <= TimeSpan.Zero) deregister = null;

        var statusText = f.String("Status");
        var status = HealthStatus.Critical;
        var statusGiven = !string.IsNullOrEmpty(statusText);
        if (statusGiven && !HealthStatuses.TryParse(statusText, out status)) throw ConsulException.BadRequest($"Invalid check status: \"{statusText}\"");
        var method = f.String("Method") is { Length: > 0 } m ? m.ToUpperInvariant() : "GET";
        var outputMax = f.Int("OutputMaxSize") is { } om && om > 0 ? om : 4096;

        var definition = new CheckDefinition
        {
            Type = type,
            Ttl = ttl,
            Interval = type == "ttl" ? TimeSpan.Zero : interval!.Value,
            Timeout = timeout,
            Http = http is { Length: > 0 } ? http : null,
            Method = method,
            Header = f.HeaderMap("Header") ?? new Dictionary<string, IReadOnlyList<string>>(),
            Body = f.String("Body"),
            TlsSkipVerify = f.Bool("TLSSkipVerify") ?? false,
            Tcp = tcp is { Length: > 0 } ? tcp : null,
            Args = type == "script" ? args : null,
            DeregisterCriticalServiceAfter = deregister,
            SuccessBeforePassing = Math.Max(0, f.Int("SuccessBeforePassing") ?? 0),
            FailuresBeforeCritical = Math.Max(0, f.Int("FailuresBeforeCritical") ?? 0),
            OutputMaxSize = outputMax,
        };
        var check = new ExternalCheck
        {
            CheckId = checkId,
            Name = name,
            ServiceId = serviceId ?? "",
            Notes = f.String("Notes") ?? "",
            Status = status,
            Definition = definition,
            Generation = Guid.NewGuid().ToString("N"),
        };
        return new CheckRegistration(check, statusGiven);
    }

    private static bool TryHostPort(string s) => HostPort.TrySplit(s, out var hp, out _) && hp.Host.Length > 0 && hp.Port > 0;


    private static void ValidateMeta(IReadOnlyDictionary<string, string> meta)
    {
        if (meta.Count > 64) throw ConsulException.BadRequest("Invalid service meta: at most 64 key/value pairs are allowed");
        foreach (var (k, v) in meta)
        {
            if (k.Length == 0 || k.Length > 128 || !k.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                throw ConsulException.BadRequest($"Invalid service meta: key \"{k}\" must be 1-128 characters of letters, digits, '_' and '-'");
            if (k.StartsWith("consul-", StringComparison.OrdinalIgnoreCase))
                throw ConsulException.BadRequest($"Invalid service meta: key \"{k}\" uses the reserved prefix consul-");
            if (v.Length > 512) throw ConsulException.BadRequest($"Invalid service meta: the value of \"{k}\" is longer than 512 characters");
        }
    }

    /// <summary>Object fields by normalised name (lowercase, without '_' and '-'), as Consul's mapstructure decoding matches them.</summary>
    private sealed class Fields
    {
        private readonly Dictionary<string, JsonElement> _byName = new(StringComparer.Ordinal);
        private readonly string _what;

        private Fields(string what) => _what = what;

        public static Fields Of(JsonElement e, string what)
        {
            if (e.ValueKind != JsonValueKind.Object) throw ConsulException.BadRequest($"Request decode failed: the {what} must be a JSON object");
            var f = new Fields(what);
            foreach (var p in e.EnumerateObject()) f._byName[Normalize(p.Name)] = p.Value;
            return f;
        }

        private static string Normalize(string name) => new(name.Where(c => c is not ('_' or '-')).Select(char.ToLowerInvariant).ToArray());

        public bool Has(string name) => _byName.ContainsKey(Normalize(name));

        private JsonElement? Get(string name) =>
            _byName.TryGetValue(Normalize(name), out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        private ConsulException Bad(string name, string expected) =>
            ConsulException.BadRequest($"Request decode failed: {name}: expected {expected} in the {_what}");

        public string? String(string name) => Get(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } v => v.GetString(),
            _ => throw Bad(name, "a string"),
        };

        public bool? Bool(string name) => Get(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            { ValueKind: JsonValueKind.String } v when bool.TryParse(v.GetString(), out var b) => b,
            _ => throw Bad(name, "a boolean"),
        };

        public int? Int(string name) => Get(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } v when v.TryGetInt32(out var n) => n,
            { ValueKind: JsonValueKind.String } v when int.TryParse(v.GetString(), out var n) => n,
            _ => throw Bad(name, "an integer"),
        };

        /// <summary>A Go duration string ("10s"), or a number of nanoseconds as Consul's JSON also allows.</summary>
        public TimeSpan? Duration(string name)
        {
            switch (Get(name))
            {
                case null:
                    return null;
                case { ValueKind: JsonValueKind.String } v:
                    var s = v.GetString();
                    if (string.IsNullOrEmpty(s)) return null;
                    return ConsulQuery.TryParseDuration(s, out var d) ? d : throw Bad(name, "a duration such as 10s, 1m or 500ms");
                case { ValueKind: JsonValueKind.Number } n when n.TryGetInt64(out var ns) && ns >= 0:
                    return TimeSpan.FromTicks(ns / 100);
                default:
                    throw Bad(name, "a duration such as 10s, 1m or 500ms");
            }
        }

        public JsonElement? Object(string name) => Get(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Object } v => v,
            _ => throw Bad(name, "an object"),
        };

        public JsonElement? Array(string name) => Get(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Array } v => v,
            _ => throw Bad(name, "an array"),
        };

        public IReadOnlyList<string>? StringList(string name)
        {
            if (Array(name) is not { } a) return null;
            var list = new List<string>();
            foreach (var item in a.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String) throw Bad(name, "an array of strings");
                list.Add(item.GetString()!);
            }
            return list;
        }

        public IReadOnlyDictionary<string, string>? StringMap(string name)
        {
            if (Object(name) is not { } o) return null;
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in o.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) throw Bad(name, "an object of strings");
                map[p.Name] = p.Value.GetString()!;
            }
            return map;
        }

        public IReadOnlyDictionary<string, IReadOnlyList<string>>? HeaderMap(string name)
        {
            if (Object(name) is not { } o) return null;
            var map = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in o.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.String) { map[p.Name] = [p.Value.GetString()!]; continue; }
                if (p.Value.ValueKind != JsonValueKind.Array || p.Value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
                    throw Bad(name, "an object of string arrays");
                map[p.Name] = p.Value.EnumerateArray().Select(v => v.GetString()!).ToList();
            }
            return map;
        }
    }
}
