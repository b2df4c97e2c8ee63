namespace Drover.Scheduling;

/// <summary>
/// The values one constraint field takes across the agents of a placement call, interned to small ints, plus
/// the current app's task count per value (reused app after app; only touched entries are reset).
/// </summary>
internal sealed class FieldIndex
{
    public readonly string Field;
    /// <summary>Value id per agent, -1 when the agent lacks the attribute.</summary>
    public readonly int[] ValueOf;
    public readonly List<string> Values = [];
    public readonly int[] Counts;
    /// <summary>Values at least one Active agent has: the only ones GROUP_BY levels wait for.</summary>
    public readonly bool[] HasActive;
    private readonly List<int> _touched = [];
    /// <summary>Per (operator, value) answers of static constraints by value id: 0 unknown, 1 pass, 2 fail.</summary>
    private readonly Dictionary<string, sbyte[]> _staticAnswers = new(StringComparer.Ordinal);

    public FieldIndex(string field, AgentTable agents)
    {
        Field = field;
        ValueOf = new int[agents.Count];
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < agents.Count; i++)
        {
            var v = ValueFor(agents.Infos[i], field);
            if (v is null) { ValueOf[i] = -1; continue; }
            if (!ids.TryGetValue(v, out var id))
            {
                id = Values.Count;
                ids.Add(v, id);
                Values.Add(v);
            }
            ValueOf[i] = id;
        }
        Counts = new int[Values.Count];
        HasActive = new bool[Values.Count];
        for (var i = 0; i < agents.Count; i++)
        {
            if (agents.Active[i] && ValueOf[i] >= 0) HasActive[ValueOf[i]] = true;
        }
    }

    /// <summary>How many values on Active agents hold exactly <paramref name="level"/> of the app's tasks.</summary>
    public int CountAtLevel(int level)
    {
        var n = 0;
        for (var v = 0; v < Counts.Length; v++)
        {
            if (HasActive[v] && Counts[v] == level) n++;
        }
        return n;
    }

    /// <summary>The smallest task count above <paramref name="after"/> among values on Active agents, or -1.</summary>
    public int NextLevel(int after)
    {
        var next = int.MaxValue;
        for (var v = 0; v < Counts.Length; v++)
        {
            if (HasActive[v] && Counts[v] > after && Counts[v] < next) next = Counts[v];
        }
        return next == int.MaxValue ? -1 : next;
    }

    public static string Canonical(string field) => Constraint.IsHostnameField(field) ? "@hostname" : field;

    /// <summary>
    /// hostname/@hostname read the agent's hostname; anything else an attribute of that exact name, with
    /// @region/@zone falling back to plain region/zone attributes (what agents usually report).
    /// </summary>
    public static string? ValueFor(Core.Cluster.AgentInfo agent, string field)
    {
        if (Constraint.IsHostnameField(field)) return agent.Hostname;
        if (agent.Attributes.TryGetValue(field, out var v)) return v;
        if (field is "@region" or "@zone" && agent.Attributes.TryGetValue(field[1..], out v)) return v;
        return null;
    }

    public void Increment(int agent)
    {
        var v = ValueOf[agent];
        if (v < 0) return;
        if (Counts[v]++ == 0) _touched.Add(v);
    }

    public void ResetCounts()
    {
        foreach (var v in _touched) Counts[v] = 0;
        _touched.Clear();
    }

    /// <summary>The value holding most of the app's tasks (lowest id on a tie), or -1 when it has none.</summary>
    public int MostUsedValue()
    {
        var best = -1;
        foreach (var v in _touched)
        {
            if (best < 0 || Counts[v] > Counts[best] || (Counts[v] == Counts[best] && v < best)) best = v;
        }
        return best;
    }

    public sbyte[] StaticAnswers(Constraint c)
    {
        var key = $"{(int)c.Operator}\0{c.Value}";
        if (!_staticAnswers.TryGetValue(key, out var answers))
        {
            answers = new sbyte[Values.Count];
            _staticAnswers.Add(key, answers);
        }
        return answers;
    }
}
