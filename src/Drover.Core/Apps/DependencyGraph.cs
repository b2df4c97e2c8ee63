namespace Drover.Core.Apps;

/// <summary>
/// Cycles in Marathon's dependency graph. An app or a group may depend on apps and on groups;
/// depending on a group means depending on every app under it, and a group's dependencies are
/// inherited by everything under it. Each group is modelled as two nodes: its entry (what its
/// members wait for: its own dependencies and its parent's entry) and its exit (what depending on
/// it waits for: its members, and its entry, so that groups depending on each other are a cycle
/// even before they hold apps).
/// </summary>
public static class DependencyGraph
{
    /// <summary>
    /// A cycle that passes through one of <paramref name="through"/> (the ids a change touches, so a
    /// cycle stored before is not blamed on an unrelated change), as ids from that id back to it:
    /// ["/cyc/a", "/cyc/b", "/cyc/a"]. Null when there is none. Dependencies on ids that are neither
    /// an app nor a group are ignored; groups that are parents of apps or groups exist implicitly.
    /// </summary>
    public static IReadOnlyList<string>? FindCycle(IReadOnlyDictionary<string, IReadOnlyList<string>> apps,
        IReadOnlyDictionary<string, IReadOnlyList<string>> groups, IEnumerable<string> through)
    {
        var g = new Graph(apps, groups);
        var component = g.Components();
        // groups first: a group that depends on itself reads "/g -> /g", not via one of its apps
        var starts = through.Distinct().OrderBy(id => g.IsApp(id) ? 1 : 0).ThenBy(id => id, StringComparer.Ordinal);
        foreach (var id in starts)
        {
            foreach (var node in g.NodesOf(id))
            {
                if (g.ShortestCycle(node, component) is { } cycle) return cycle;
            }
        }
        return null;
    }

    /// <summary>"/cyc/a -> /cyc/b -> /cyc/a".</summary>
    public static string Describe(IReadOnlyList<string> cycle) => string.Join(" -> ", cycle);

    private sealed class Graph
    {
        private readonly Dictionary<string, int> _app = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _entry = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _exit = new(StringComparer.Ordinal);
        private readonly List<string> _idOf = [];
        private readonly List<List<int>> _edges = [];

        public Graph(IReadOnlyDictionary<string, IReadOnlyList<string>> apps, IReadOnlyDictionary<string, IReadOnlyList<string>> groups)
        {
            foreach (var id in apps.Keys.Order(StringComparer.Ordinal)) _app[id] = Add(id);
            var groupIds = new SortedSet<string>(StringComparer.Ordinal) { "/" };
            foreach (var id in apps.Keys.Concat(groups.Keys))
            {
                for (var p = id; p != "/"; p = PathId.Parent(p))
                {
                    if (p != id || groups.ContainsKey(id)) groupIds.Add(p);
                }
            }
            foreach (var id in groupIds)
            {
                _entry[id] = Add(id);
                _exit[id] = Add(id);
            }
            foreach (var (id, deps) in apps)
            {
                var node = _app[id];
                foreach (var d in deps) Link(node, Target(d));
                Link(node, _entry[PathId.Parent(id)]);
                Link(_exit[PathId.Parent(id)], node);
            }
            foreach (var id in _entry.Keys)
            {
                if (groups.TryGetValue(id, out var deps)) foreach (var d in deps) Link(_entry[id], Target(d));
                Link(_exit[id], _entry[id]);
                if (id == "/") continue;
                Link(_entry[id], _entry[PathId.Parent(id)]);
                Link(_exit[PathId.Parent(id)], _exit[id]);
            }
        }

        public bool IsApp(string id) => _app.ContainsKey(id);

        public IEnumerable<int> NodesOf(string id)
        {
            if (_app.TryGetValue(id, out var a)) yield return a;
            if (_entry.TryGetValue(id, out var i)) yield return i;
            if (_exit.TryGetValue(id, out var o)) yield return o;
        }

        private int Add(string id)
        {
            _idOf.Add(id);
            _edges.Add([]);
            return _idOf.Count - 1;
        }

        private int Target(string dependency) =>
            _app.TryGetValue(dependency, out var a) ? a : _exit.TryGetValue(dependency, out var g) ? g : -1;

        private void Link(int from, int to)
        {
            if (to >= 0) _edges[from].Add(to);
        }

        /// <summary>Strongly connected components (Tarjan, iterative: dependency chains may be long): the component number of each node.</summary>
        public int[] Components()
        {
            var n = _edges.Count;
            var index = new int[n];
            var low = new int[n];
            var component = new int[n];
            var onStack = new bool[n];
            Array.Fill(index, -1);
            var stack = new Stack<int>();
            var work = new Stack<(int Node, int Edge)>();
            var next = 0;
            var components = 0;
            for (var root = 0; root < n; root++)
            {
                if (index[root] >= 0) continue;
                work.Push((root, 0));
                while (work.Count > 0)
                {
                    var (v, e) = work.Pop();
                    if (e == 0)
                    {
                        index[v] = low[v] = next++;
                        stack.Push(v);
                        onStack[v] = true;
                    }
                    else
                    {
                        var child = _edges[v][e - 1];
                        low[v] = Math.Min(low[v], low[child]);
                    }
                    var descended = false;
                    for (; e < _edges[v].Count; e++)
                    {
                        var w = _edges[v][e];
                        if (index[w] < 0)
                        {
                            work.Push((v, e + 1));
                            work.Push((w, 0));
                            descended = true;
                            break;
                        }
                        if (onStack[w]) low[v] = Math.Min(low[v], index[w]);
                    }
                    if (descended || low[v] != index[v]) continue;
                    int x;
                    do
                    {
                        x = stack.Pop();
                        onStack[x] = false;
                        component[x] = components;
                    } while (x != v);
                    components++;
                }
            }
            return component;
        }

        /// <summary>The shortest way from <paramref name="start"/> back to itself inside its component, as ids; null when there is none.</summary>
        public IReadOnlyList<string>? ShortestCycle(int start, int[] component)
        {
            var parent = new Dictionary<int, int> { [start] = -1 };
            var queue = new Queue<int>();
            queue.Enqueue(start);
            while (queue.Count > 0)
            {
                var v = queue.Dequeue();
                foreach (var w in _edges[v])
                {
                    if (component[w] != component[start]) continue;
                    if (w == start) return Render(v, parent);
                    if (parent.TryAdd(w, v)) queue.Enqueue(w);
                }
            }
            return null;
        }

        private List<string> Render(int last, Dictionary<int, int> parent)
        {
            var nodes = new List<int>();
            for (var v = last; v >= 0; v = parent[v]) nodes.Add(v);
            nodes.Reverse();
            nodes.Add(nodes[0]);
            // a group's entry and exit are one id: collapse them
            var ids = new List<string>();
            foreach (var id in nodes.Select(v => _idOf[v]))
            {
                if (ids.Count == 0 || ids[^1] != id) ids.Add(id);
            }
            if (ids.Count == 1) ids.Add(ids[0]);
            return ids;
        }
    }
}
