using Drover.Api.Marathon;
using Drover.Cli.Output;
using Drover.Cli.Progress;
using Drover.Agent.Tests.Infrastructure;

namespace Drover.Cli.Tests;

public sealed class OutputTests
{
    private static MarathonTask T(string id) => new() { Id = id, AppId = "/a", State = "TASK_RUNNING" };

    [Fact]
    public void Short_task_ids_are_unique_prefixes_of_at_least_eight_characters()
    {
        var ids = new[] { "a.instance-3f2a9c1b-0000-0000-0000-000000000001._app.1", "a.instance-3f2a9c1c-0000-0000-0000-000000000002._app.1", "b.instance-7d00aaaa-1111._app.1" };
        var names = TaskNames.Shorten(ids);
        Assert.Equal("3f2a9c1b", names[ids[0]]);
        Assert.Equal("3f2a9c1c", names[ids[1]]);
        Assert.Equal("7d00aaaa", names[ids[2]]);
        var clash = new[] { "a.instance-3f2a9c1b-0000-1._app.1", "a.instance-3f2a9c1b-0000-2._app.1" };
        var longer = TaskNames.Shorten(clash);
        Assert.Equal("3f2a9c1b-0000-1", longer[clash[0]]);
    }

    [Fact]
    public void Task_ids_resolve_from_full_ids_prefixes_and_short_forms()
    {
        var tasks = new[] { T("web.instance-3f2a9c1b-aa._app.1"), T("web.instance-3f2a9c1c-bb._app.1"), T("db.instance-7d00aaaa._app.1") };
        Assert.Equal(tasks[2].Id, TaskNames.Resolve("7d00", tasks)!.Id);
        Assert.Equal(tasks[0].Id, TaskNames.Resolve("3f2a9c1b", tasks)!.Id);
        Assert.Equal(tasks[1].Id, TaskNames.Resolve("web.instance-3f2a9c1c", tasks)!.Id);
        Assert.Null(TaskNames.Resolve("ffff", tasks));
        var ambiguous = Assert.Throws<Cli.CommandLine.CliException>(() => TaskNames.Resolve("3f2a", tasks));
        Assert.Contains("ambiguous", ambiguous.Message);
    }

    [Fact]
    public void Tables_cut_shrinkable_columns_to_fit_and_never_the_others()
    {
        var t = new Table("ID", "APP~", "STATE");
        t.Add("3f2a9c1b", "/a/very/long/application/identifier/that/does/not/fit", "running");
        var w = new StringWriter();
        t.Write(w, 40);
        var lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.True(l.Length <= 40, $"'{l}' is {l.Length} wide"));
        Assert.Contains("3f2a9c1b", lines[1]);
        Assert.Contains("running", lines[1]);
        Assert.Contains("…", lines[1]);
        var wide = new StringWriter();
        t.Write(wide);
        Assert.Contains("/that/does/not/fit", wide.ToString());
    }

    [Fact]
    public void Ages_and_versions_are_compact()
    {
        var now = DateTimeOffset.Parse("2026-11-29T20:00:00Z");
        Assert.Equal("5s", Times.Age("2026-11-29T19:59:55.000Z", now));
        Assert.Equal("3m", Times.Age("2026-11-29T19:57:00.000Z", now));
        Assert.Equal("2h", Times.Age("2026-11-29T18:00:00.000Z", now));
        Assert.Equal("3d", Times.Age("2026-11-26T20:00:00.000Z", now));
        Assert.Equal("-", Times.Age(null, now));
        Assert.Equal("11-29 20:05:24", Times.CompactVersion("2026-11-29T20:05:24.123Z"));
    }

    [Fact]
    public void Plain_progress_prints_changes_of_counts_at_once_and_of_reasons_at_most_every_5s()
    {
        var time = new ManualTimeProvider();
        var w = new StringWriter();
        var view = new PlainProgressView(w, time);
        AppProgress App(int healthy, string reason) => new() { AppId = "/a", Action = "RestartApplication", Target = 2, NewHealthy = healthy, NewRunning = 2, HasHealthChecks = true, Reasons = [reason] };
        DeploymentProgress P(int healthy, string reason) => new("d", 1, 1, [App(healthy, reason)], TimeSpan.FromSeconds(1));
        view.Update(P(0, "health check failed: HTTP 404 on /x (2 in a row)"));
        view.Update(P(0, "health check failed: HTTP 404 on /x (3 in a row)")); // only a number moved
        time.Advance(TimeSpan.FromSeconds(1));
        view.Update(P(0, "task exited with code 1"));                          // new reason, too soon
        view.Update(P(1, "task exited with code 1"));                          // counts moved: at once
        time.Advance(TimeSpan.FromSeconds(6));
        view.Update(P(1, "health check failed: HTTP 500 on /x"));              // new reason, after 5 s
        var lines = w.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.Contains("new 0/2 healthy", lines[0]);
        Assert.Contains("2 in a row", lines[1]);
        Assert.Contains("new 1/2 healthy", lines[2]);
        Assert.Contains("HTTP 500", lines[5]);
    }
}
