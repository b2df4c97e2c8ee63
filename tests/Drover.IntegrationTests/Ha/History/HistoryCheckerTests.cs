namespace Drover.IntegrationTests.Ha.History;

/// <summary>The checker on hand-made histories: each kind of anomaly it exists to catch must be reported, and a consistent history must not.</summary>
public sealed class HistoryCheckerTests
{
    private static readonly IReadOnlyList<ObservedTask> NoTasks = [];

    [Fact]
    public void A_consistent_history_has_no_violations()
    {
        HistoryOp[] history =
        [
            Create("/a", 2, 0, 1), Scale("/a", 3, 2, 3), Scale("/a", 1, 4, 5, Outcome.Failed),
            Create("/b", 1, 0, 1), Delete("/b", 2, 3),
            Cas("k", 0, 0, 0, 1), Cas("k", 7, 1, 2, 3), Cas("k", 7, 1, 2, 3, Outcome.Failed),
        ];
        var final = new FinalState(new Dictionary<string, int> { ["/a"] = 3 }, new Dictionary<string, long> { ["k"] = 2 },
            [new("server", "/a", "t1"), new("server", "/a", "t2"), new("agent", "/a", "t1")]);

        Assert.Empty(HistoryChecker.Check(history, final));
    }

    [Fact]
    public void An_acknowledged_create_that_is_gone_is_a_lost_write()
    {
        var violation = Assert.Single(HistoryChecker.Check([Create("/a", 2, 0, 1)], new FinalState(new Dictionary<string, int>(), new Dictionary<string, long>(), NoTasks)));
        Assert.Contains("app /a: absent", violation);
        Assert.Contains("present with 2 instances after create /a (2)", violation);
    }

    [Fact]
    public void An_app_that_ends_on_an_overwritten_scale_is_a_lost_write()
    {
        HistoryOp[] history = [Create("/a", 1, 0, 1), Scale("/a", 3, 2, 3), Scale("/a", 2, 4, 5)];
        var violation = Assert.Single(HistoryChecker.Check(history, Apps(("/a", 3))));
        Assert.Contains("app /a: present with 3 instances", violation);
    }

    [Fact]
    public void A_later_indeterminate_scale_may_or_may_not_have_landed()
    {
        HistoryOp[] history = [Create("/a", 1, 0, 1), Scale("/a", 3, 2, 3), Scale("/a", 5, 4, 14, Outcome.Indeterminate)];
        Assert.Empty(HistoryChecker.Check(history, Apps(("/a", 3))));
        Assert.Empty(HistoryChecker.Check(history, Apps(("/a", 5))));
        Assert.Single(HistoryChecker.Check(history, Apps(("/a", 1))));
    }

    [Fact]
    public void Concurrent_acknowledged_writes_may_land_in_either_order()
    {
        HistoryOp[] history = [Create("/a", 1, 0, 1), Scale("/a", 2, 2, 5), Scale("/a", 3, 3, 4)];
        Assert.Empty(HistoryChecker.Check(history, Apps(("/a", 2))));
        Assert.Empty(HistoryChecker.Check(history, Apps(("/a", 3))));
    }

    [Fact]
    public void An_app_nobody_created_is_a_violation_and_a_deleted_app_must_stay_gone()
    {
        Assert.Contains("app /ghost: present with 1 instances", Assert.Single(HistoryChecker.Check([], Apps(("/ghost", 1)))));
        HistoryOp[] history = [Create("/a", 1, 0, 1), Delete("/a", 2, 3)];
        Assert.Contains("after delete /a", Assert.Single(HistoryChecker.Check(history, Apps(("/a", 1)))));
    }

    [Fact]
    public void A_counter_below_its_acknowledged_increments_is_a_lost_update()
    {
        HistoryOp[] history = [Cas("k", 0, 0, 0, 1), Cas("k", 5, 1, 2, 3), Cas("k", 9, 2, 4, 5)];
        var violation = Assert.Single(HistoryChecker.Check(history, Counters(("k", 2))));
        Assert.Contains("counter k: lost update: it ends at 2, but 3 CAS increments were acknowledged", violation);
    }

    [Fact]
    public void A_counter_above_acknowledged_plus_indeterminate_increments_is_a_violation()
    {
        HistoryOp[] history = [Cas("k", 0, 0, 0, 1), Cas("k", 5, 1, 2, 3, Outcome.Indeterminate)];
        Assert.Empty(HistoryChecker.Check(history, Counters(("k", 1))));
        Assert.Empty(HistoryChecker.Check(history, Counters(("k", 2))));
        Assert.Contains("more than the 1 acknowledged + 1 indeterminate", Assert.Single(HistoryChecker.Check(history, Counters(("k", 3)))));
    }

    [Fact]
    public void Two_acknowledged_cas_writes_from_one_read_are_a_duplicated_update()
    {
        // both read 1 at index 5 and both were told they won: the counter moved once, two clients believe they moved it
        HistoryOp[] history = [Cas("k", 0, 0, 0, 1), Cas("k", 5, 1, 2, 3, client: 1), Cas("k", 5, 1, 2, 4, client: 2)];
        var violations = HistoryChecker.Check(history, Counters(("k", 2)));
        Assert.Contains(violations, v => v.Contains("lost update: it ends at 2, but 3 CAS increments were acknowledged"));
        Assert.Contains(violations, v => v.Contains("2 CAS writes from the same read index 5 were all acknowledged"));
        Assert.Contains(violations, v => v.Contains("the value 2 was written by 2 acknowledged CAS increments"));
    }

    [Fact]
    public void More_tasks_than_desired_a_task_of_a_deleted_app_and_a_duplicate_task_id_are_violations()
    {
        var final = new FinalState(new Dictionary<string, int> { ["/a"] = 1 }, new Dictionary<string, long>(),
            [new("server", "/a", "t1"), new("server", "/a", "t2"), new("agent", "/gone", "t3"), new("agent", "/a", "t1"), new("agent", "/a", "t1")]);
        HistoryOp[] history = [Create("/a", 1, 0, 1), Create("/gone", 1, 0, 1), Delete("/gone", 2, 3)];
        var violations = HistoryChecker.Check(history, final);
        Assert.Contains("server: app /a has 2 tasks, 1 desired: t1, t2", violations);
        Assert.Contains("agent: app /gone has 1 tasks, 0 desired (the app is gone): t3", violations);
        Assert.Contains(violations, v => v.StartsWith("agent: app /a has 2 tasks", StringComparison.Ordinal));
        Assert.Contains("agent: task id t1 appears 2 times", violations);
        Assert.Equal(4, violations.Count);
    }

    [Fact]
    public void A_5xx_marked_not_applied_is_a_failure_and_any_other_5xx_or_a_timeout_is_indeterminate()
    {
        var notApplied = new Drover.Api.Client.DroverApiException(System.Net.HttpStatusCode.ServiceUnavailable, "no leader: quorum lost", notApplied: true);
        var unknown = new Drover.Api.Client.DroverApiException(System.Net.HttpStatusCode.ServiceUnavailable, "the state store is unavailable: no answer within 5 s");
        Assert.Equal(Outcome.Failed, HistoryClient.Classify(notApplied).Outcome);
        Assert.Contains("(not applied)", HistoryClient.Classify(notApplied).Error);
        Assert.Equal(Outcome.Indeterminate, HistoryClient.Classify(unknown).Outcome);
        Assert.Equal(Outcome.Indeterminate, HistoryClient.Classify(new TaskCanceledException("timed out")).Outcome);
        Assert.Equal(Outcome.Indeterminate, HistoryClient.Classify(new HttpRequestException("connection reset")).Outcome);
        Assert.Equal(Outcome.Failed, HistoryClient.Classify(new Drover.Api.Client.DroverApiException(System.Net.HttpStatusCode.Conflict, "exists")).Outcome);
        Assert.Equal(Outcome.Failed, HistoryClient.Classify(new HistoryClient.CasRefusedException()).Outcome);
    }

    [Fact]
    public void A_write_answered_not_applied_that_shows_up_afterwards_is_a_violation()
    {
        // the only create was refused with X-Drover-Not-Applied, yet the app exists: the server's guarantee was false
        var app = Assert.Single(HistoryChecker.Check([Create("/a", 2, 0, 1, Outcome.Failed)], Apps(("/a", 2))));
        Assert.Contains("app /a: present with 2 instances", app);
        Assert.Contains("absent (nothing acknowledged)", app);
        // a refused scale that landed anyway: the app ends at a value no write that could be last left it at
        HistoryOp[] scales = [Create("/b", 1, 0, 1), Scale("/b", 3, 2, 3, Outcome.Failed)];
        Assert.Contains("app /b: present with 3 instances", Assert.Single(HistoryChecker.Check(scales, Apps(("/b", 3)))));
        // a refused CAS increment that was counted: one more than acknowledged + indeterminate allows
        HistoryOp[] cas = [Cas("k", 0, 0, 0, 1), Cas("k", 5, 1, 2, 3, Outcome.Failed)];
        Assert.Contains("more than the 1 acknowledged + 0 indeterminate", Assert.Single(HistoryChecker.Check(cas, Counters(("k", 2)))));
        // the same histories with the refusals indeterminate instead are consistent: it is the "failed" that convicts
        Assert.Empty(HistoryChecker.Check([Create("/a", 2, 0, 1, Outcome.Indeterminate)], Apps(("/a", 2))));
        Assert.Empty(HistoryChecker.Check([Cas("k", 0, 0, 0, 1), Cas("k", 5, 1, 2, 3, Outcome.Indeterminate)], Counters(("k", 2))));
    }

    private static FinalState Apps(params (string Id, int Instances)[] apps) =>
        new(apps.ToDictionary(a => a.Id, a => a.Instances), new Dictionary<string, long>(), NoTasks);

    private static FinalState Counters(params (string Key, long Value)[] counters) =>
        new(new Dictionary<string, int>(), counters.ToDictionary(c => c.Key, c => c.Value), NoTasks);

    private static CreateApp Create(string id, int instances, double from, double to, Outcome outcome = Outcome.Ok) =>
        new(id, instances) { Client = 0, Invoked = TimeSpan.FromSeconds(from), Completed = TimeSpan.FromSeconds(to), Outcome = outcome };

    private static ScaleApp Scale(string id, int instances, double from, double to, Outcome outcome = Outcome.Ok) =>
        new(id, instances) { Client = 0, Invoked = TimeSpan.FromSeconds(from), Completed = TimeSpan.FromSeconds(to), Outcome = outcome };

    private static DeleteApp Delete(string id, double from, double to, Outcome outcome = Outcome.Ok) =>
        new(id) { Client = 0, Invoked = TimeSpan.FromSeconds(from), Completed = TimeSpan.FromSeconds(to), Outcome = outcome };

    private static CasIncrement Cas(string key, long index, long value, double from, double to, Outcome outcome = Outcome.Ok, int client = 0) =>
        new(key, index, value) { Client = client, Invoked = TimeSpan.FromSeconds(from), Completed = TimeSpan.FromSeconds(to), Outcome = outcome };
}
