using System.Reflection;

namespace Drover.Server.Tests.Architecture;

/// <summary>Which namespace of an assembly uses which, with one example type reference per edge to show in a failure.</summary>
internal sealed class NamespaceGraph
{
    private readonly Dictionary<string, Dictionary<string, string>> edges = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, Dictionary<string, string>> Edges => edges;

    /// <param name="within">Only namespaces equal to or under this one count.</param>
    /// <param name="ignore">Types left out as users (the composition root wires every namespace by design).</param>
    public static NamespaceGraph Build(Assembly assembly, string within, Func<Type, bool> ignore)
    {
        var graph = new NamespaceGraph();
        bool Inside(string? ns) => ns is not null && (ns == within || ns.StartsWith(within + ".", StringComparison.Ordinal));
        foreach (var type in assembly.GetTypes())
        {
            if (!Inside(type.Namespace) || ignore(Outermost(type))) continue;
            foreach (var used in TypeReferences.Of(type))
            {
                if (used.Assembly != assembly || !Inside(used.Namespace) || used.Namespace == type.Namespace) continue;
                graph.Add(type.Namespace!, used.Namespace!, $"{Outermost(type).Name} uses {Outermost(used).Name}");
            }
        }
        return graph;
    }

    private static Type Outermost(Type t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        return t;
    }

    internal void Add(string from, string to, string example)
    {
        if (!edges.TryGetValue(from, out var targets)) edges[from] = targets = new(StringComparer.Ordinal);
        targets.TryAdd(to, example);
    }

    public bool HasEdge(string from, string to) => edges.TryGetValue(from, out var ts) && ts.ContainsKey(to);

    /// <summary>The same graph without the given edges.</summary>
    public NamespaceGraph Without(IEnumerable<(string From, string To)> removed)
    {
        var copy = new NamespaceGraph();
        var skip = removed.ToHashSet();
        foreach (var (from, targets) in edges)
        {
            foreach (var (to, example) in targets)
            {
                if (!skip.Contains((from, to))) copy.Add(from, to, example);
            }
        }
        return copy;
    }

    /// <summary>Every cycle as its strongly connected component, namespaces sorted; empty when the graph is acyclic.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        // Tarjan's strongly connected components
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<IReadOnlyList<string>>();
        var next = 0;
        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in edges.TryGetValue(v, out var ts) ? ts.Keys.ToList() : [])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            if (component.Count > 1) result.Add(component.Order(StringComparer.Ordinal).ToList());
        }
        foreach (var v in edges.Keys.Order(StringComparer.Ordinal)) if (!index.ContainsKey(v)) Visit(v);
        return result;
    }

    /// <summary>The edges inside one cycle, each with the type reference that makes it.</summary>
    public IEnumerable<string> Explain(IReadOnlyList<string> cycle)
    {
        foreach (var from in cycle)
        {
            foreach (var (to, example) in edges[from].Where(e => cycle.Contains(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                yield return $"{from} -> {to} ({example})";
            }
        }
    }
}
