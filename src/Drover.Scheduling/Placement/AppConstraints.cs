namespace Drover.Scheduling;

/// <summary>An app's constraints bound to the field indexes of one placement call.</summary>
internal sealed class AppConstraints
{
    private readonly Constraint[] _items;
    private readonly FieldIndex[] _fields;
    private readonly sbyte[]?[] _static;
    private readonly int[] _clusterTarget;
    /// <summary>Distinct fields whose per-value counts the app's placements must keep up to date.</summary>
    public readonly FieldIndex[] CountedFields;
    /// <summary>Field of the first GROUP_BY constraint, which decides which value the next instance goes to.</summary>
    public readonly FieldIndex? GroupBy;
    /// <summary>A constraint failed to parse: no agent can satisfy the app.</summary>
    public readonly bool Invalid;

    public AppConstraints(IReadOnlyList<IReadOnlyList<string>> raw, Func<string, FieldIndex> fieldFor)
    {
        var items = new List<Constraint>(raw.Count);
        foreach (var r in raw)
        {
            if (ConstraintParser.TryParse(r, out var c, out _)) items.Add(c);
            else Invalid = true;
        }
        _items = items.ToArray();
        _fields = new FieldIndex[_items.Length];
        _static = new sbyte[]?[_items.Length];
        _clusterTarget = new int[_items.Length];
        var counted = new List<FieldIndex>();
        for (var i = 0; i < _items.Length; i++)
        {
            var f = fieldFor(_items[i].Field);
            _fields[i] = f;
            _clusterTarget[i] = -1;
            if (_items[i].IsStatic) _static[i] = f.StaticAnswers(_items[i]);
            else if (!counted.Contains(f)) counted.Add(f);
            if (_items[i].Operator == ConstraintOperator.GroupBy && GroupBy is null) GroupBy = f;
        }
        CountedFields = counted.ToArray();
    }

    /// <summary>Call once the app's existing tasks are counted: a value-less CLUSTER follows them.</summary>
    public void Begin()
    {
        for (var i = 0; i < _items.Length; i++)
        {
            if (_items[i].Operator == ConstraintOperator.Cluster && _static[i] is null)
                _clusterTarget[i] = _fields[i].MostUsedValue();
        }
    }

    public void OnPlaced(int agent)
    {
        foreach (var f in CountedFields) f.Increment(agent);
        for (var i = 0; i < _items.Length; i++)
        {
            if (_items[i].Operator == ConstraintOperator.Cluster && _static[i] is null && _clusterTarget[i] < 0)
                _clusterTarget[i] = _fields[i].ValueOf[agent];
        }
    }

    public void End()
    {
        foreach (var f in CountedFields) f.ResetCounts();
    }

    /// <summary>Constraints that depend only on the agent (LIKE, UNLIKE, IS, CLUSTER with a value).</summary>
    public bool StaticPass(int agent)
    {
        if (Invalid) return false;
        for (var i = 0; i < _items.Length; i++)
        {
            var answers = _static[i];
            if (answers is null) continue;
            var c = _items[i];
            var v = _fields[i].ValueOf[agent];
            if (v < 0)
            {
                // Marathon: an agent without the attribute satisfies only UNLIKE.
                if (c.Operator != ConstraintOperator.Unlike) return false;
                continue;
            }
            var a = answers[v];
            if (a == 0)
            {
                a = Evaluate(c, _fields[i].Values[v]) ? (sbyte)1 : (sbyte)2;
                answers[v] = a;
            }
            if (a != 1) return false;
        }
        return true;
    }

    private static bool Evaluate(Constraint c, string value) => c.Operator switch
    {
        ConstraintOperator.Like => RegexCache.IsMatch(c.Pattern!, value),
        ConstraintOperator.Unlike => !RegexCache.IsMatch(c.Pattern!, value),
        _ => string.Equals(value, c.Value, StringComparison.Ordinal), // IS, CLUSTER with value
    };

    /// <summary>Constraints that depend on where the app's tasks already are (UNIQUE, MAX_PER, GROUP_BY, value-less CLUSTER).</summary>
    public bool DynamicPass(int agent)
    {
        for (var i = 0; i < _items.Length; i++)
        {
            if (_static[i] is not null) continue;
            var f = _fields[i];
            var v = f.ValueOf[agent];
            if (v < 0) return false;
            switch (_items[i].Operator)
            {
                case ConstraintOperator.Unique:
                    if (f.Counts[v] != 0) return false;
                    break;
                case ConstraintOperator.MaxPer:
                    if (f.Counts[v] >= _items[i].Number) return false;
                    break;
                case ConstraintOperator.Cluster:
                    if (_clusterTarget[i] >= 0 && _clusterTarget[i] != v) return false;
                    break;
                // GROUP_BY never rejects: it orders the values (fewest of the app's tasks first) instead.
            }
        }
        return true;
    }
}
