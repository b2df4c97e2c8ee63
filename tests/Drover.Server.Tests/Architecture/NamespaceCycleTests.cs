using Drover.Server.Apps;
using Drover.Server.Deployments;

namespace Drover.Server.Tests.Architecture;

/// <summary>
/// The server's namespaces depend one way: a namespace that uses another is never used back by it, directly or
/// through others, so each can be read and changed from the bottom up. Uses are read by reflection, method bodies
/// included (their IL), so a call or a `new` inside a lambda counts as much as a field.
/// </summary>
public class NamespaceCycleTests
{
    private const string Root = "Drover.Server";

    /// <summary>
    /// Uses that still point the wrong way, each waiting for the change that removes it. Empty now (the event log
    /// records moved down to Storage, /v2/info up to Status and /v2/leader to Leadership); it stays so that an exception
    /// has one visible place. Nothing may be added here: a new cycle fails the test, and an entry whose use is gone
    /// fails it too, so the list only shrinks.
    /// </summary>
    private static readonly (string From, string To, string Why)[] KnownBackEdges = [];

    private static NamespaceGraph Graph() => NamespaceGraph.Build(typeof(DroverServer).Assembly, Root, t => t == typeof(DroverServer));

    private static string Ns(string suffix) => suffix.Length == 0 ? Root : Root + "." + suffix;

    [Fact(Timeout = 60_000)]
    public async Task Drover_server_has_no_namespace_cycles_beyond_the_known_back_edges()
    {
        await Task.Yield();
        var graph = Graph().Without(KnownBackEdges.Select(e => (Ns(e.From), Ns(e.To))));
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, "namespace cycles in Drover.Server (a namespace that uses another, directly or through others, is used back by it):\n"
            + string.Join("\n\n", cycles.Select(c => string.Join(" <-> ", c) + ":\n  " + string.Join("\n  ", graph.Explain(c)))));
    }

    [Fact(Timeout = 60_000)]
    public async Task Every_known_back_edge_still_exists()
    {
        await Task.Yield();
        var graph = Graph();
        var gone = KnownBackEdges.Where(e => !graph.HasEdge(Ns(e.From), Ns(e.To))).Select(e => $"{Ns(e.From)} -> {Ns(e.To)}").ToList();
        Assert.True(gone.Count == 0, "these uses are gone; remove them from KnownBackEdges: " + string.Join(", ", gone));
    }

    [Fact(Timeout = 60_000)]
    public async Task The_cycles_issue_10_broke_stay_broken()
    {
        await Task.Yield();
        var graph = Graph();
        foreach (var (upper, lower) in new[] { ("Apps", "Deployments"), ("Tasks", "Apps"), ("Consul", "Discovery"),
                     ("Discovery", "Storage"), ("Reconcile", "Storage"), ("Security", "Storage"), ("Tasks", "Storage"),
                     ("Events", "Storage"), ("", "Storage"), ("Leadership", "Http"), ("Status", "Leadership") })
        {
            if (graph.HasEdge(Ns(lower), Ns(upper)))
                Assert.Fail($"{Ns(lower)} uses {Ns(upper)} ({graph.Edges[Ns(lower)][Ns(upper)]}); it must stay the other way round");
            Assert.True(graph.HasEdge(Ns(upper), Ns(lower)), $"{Ns(upper)} no longer uses {Ns(lower)}: update this test");
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_use_only_inside_a_method_body_counts()
    {
        await Task.Yield();
        // AppViews holds no DeploymentService; it calls DeploymentService.RefsFor in a method body
        Assert.DoesNotContain(typeof(AppViews).GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static |
            System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic), f => f.FieldType == typeof(DeploymentService));
        Assert.Contains(typeof(DeploymentService), TypeReferences.Of(typeof(AppViews)));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_cycle_through_three_namespaces_is_reported_with_its_edges()
    {
        await Task.Yield();
        var graph = new NamespaceGraph();
        graph.Add("A", "B", "X uses Y");
        graph.Add("B", "C", "Y uses Z");
        graph.Add("C", "A", "Z uses X");
        graph.Add("C", "D", "Z uses W");
        var cycle = Assert.Single(graph.Cycles());
        Assert.Equal(["A", "B", "C"], cycle);
        Assert.Equal(["A -> B (X uses Y)", "B -> C (Y uses Z)", "C -> A (Z uses X)"], graph.Explain(cycle));
        Assert.Empty(graph.Without([("C", "A")]).Cycles());
    }
}
