using System.Text.Json;
using Drover.Cli.Rollback;

namespace Drover.Cli.Tests;

/// <summary>"The previous config" skips reverted versions and copies of the current config; the diff names fields.</summary>
public sealed class RollbackTests
{
    private static JsonElement J(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static string Def(string env, int instances = 2, string version = "") =>
        $$"""{"id":"/hello","cmd":"run","instances":{{instances}},"env":{"VERSION":"{{env}}"},"version":"{{version}}"}""";

    [Fact]
    public async Task After_a_reverted_deployment_the_previous_config_is_the_one_before_the_good_one()
    {
        // v0 (A) → v1 (B) → v2 (C, reverted) → v3 (B again: the revert) = current
        var definitions = new Dictionary<string, string> { ["v0"] = Def("A"), ["v1"] = Def("B"), ["v2"] = Def("C"), ["v3"] = Def("B") };
        var history = new List<VersionEntry> { new("v3", "v3", false), new("v2", "v2", true), new("v1", "v1", false), new("v0", "v0", false) };
        var (target, skipped) = await PreviousConfig.PickAsync(J(definitions["v3"]), "v3", history, v => Task.FromResult(J(definitions[v])));
        Assert.Equal("v0", target!.Version);
        Assert.Equal(["v2 (its deployment was reverted)", "v1 (the same config as the current one)"], skipped);
    }

    [Fact]
    public async Task Scale_only_versions_share_their_config_and_the_latest_scale_is_taken()
    {
        // v0 (A, 2) → v1 (A scaled to 5, config v0) → v2 (B) = current
        var definitions = new Dictionary<string, string> { ["v0"] = Def("A"), ["v1"] = Def("A", 5), ["v2"] = Def("B", 5) };
        var history = new List<VersionEntry> { new("v2", "v2", false), new("v1", "v0", false), new("v0", "v0", false) };
        var (target, _) = await PreviousConfig.PickAsync(J(definitions["v2"]), "v2", history, v => Task.FromResult(J(definitions[v])));
        Assert.Equal("v1", target!.Version);
    }

    [Fact]
    public async Task Nothing_older_means_no_target()
    {
        var (target, _) = await PreviousConfig.PickAsync(J(Def("A")), "v0", [new("v0", "v0", false)], _ => throw new InvalidOperationException("not needed"));
        Assert.Null(target);
    }

    [Fact]
    public void The_diff_lists_changed_added_and_removed_fields_by_path()
    {
        var from = J("""{"cmd":"a","env":{"V":"1","OLD":"x"},"healthChecks":[{"path":"/a"}],"version":"1"}""");
        var to = J("""{"cmd":"b","env":{"V":"1","NEW":"y"},"healthChecks":[{"path":"/b"}],"version":"2"}""");
        var changes = JsonDiff.Compare(from, to, new HashSet<string> { "version" }).Select(c => c.ToString()).ToList();
        Assert.Equal(["~ cmd: \"a\" → \"b\"", "+ env.NEW: \"y\"", "- env.OLD: \"x\"", "~ healthChecks[0].path: \"/a\" → \"/b\""], changes);
        var emptied = JsonDiff.Compare(J("""{"env":{"A":"1"},"labels":{}}"""), J("""{"env":{},"labels":{"B":"2"}}""")).Select(c => c.ToString()).ToList();
        Assert.Equal(["- env.A: \"1\"", "+ labels.B: \"2\""], emptied);
    }
}
