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
    /// <summary>Identifies the static constraints (null when there are none), so apps sharing them share a mask.</summary>
    public readonly string? StaticKey;
    private readonly int _groupItem = -1;
    private int _level = -1;
    private int _open;

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
            if (_items[i].Operator == ConstraintOperator.GroupBy && GroupBy is null)
            {
                GroupBy = f;
                _groupItem = i;
            }
        }
        CountedFields = counted.ToArray();
        if (Invalid) StaticKey = "\u0001invalid";
        else if (_static.Any(s => s is not null))
            StaticKey = string.Join('\n', _items.Where(c => c.IsStatic).Select(c => $"{FieldIndex.Canonical(c.Field)}\0{(int)c.Operator}\0{c.Value}"));
    }

    /// <summary>GROUP_BY: from now on only values holding exactly <paramref name="level"/> tasks accept. False if none does.</summary>
    public bool StartLevel(int level)
    {
        _level = level;
        _open = GroupBy!.CountAtLevel(level);
        return _open > 0;
    }

    /// <summary>Every value of the current level has received its instance.</summary>
    public bool LevelDone => _level >= 0 && _open == 0;

    public void EndLevels() => _level = -1;

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
        if (_level >= 0 && GroupBy!.Counts[GroupBy.ValueOf[agent]] == _level + 1) _open--;
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
                case ConstraintOperator.GroupBy:
                    // Only the level being filled accepts; outside a level (diagnostics) GROUP_BY never rejects.
                    if (i == _groupItem && _level >= 0 && f.Counts[v] != _level) return false;
                    break;
            }
        }
        return true;
    }
}
