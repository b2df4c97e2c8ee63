namespace Drover.Scheduling.Tests;

public class ConstraintParserTests
{
    [Theory]
    [InlineData(new[] { "hostname", "UNIQUE" }, ConstraintOperator.Unique, null, 0)]
    [InlineData(new[] { "rack", "CLUSTER", "r1" }, ConstraintOperator.Cluster, "r1", 0)]
    [InlineData(new[] { "rack", "CLUSTER" }, ConstraintOperator.Cluster, null, 0)]
    [InlineData(new[] { "rack", "GROUP_BY" }, ConstraintOperator.GroupBy, null, 0)]
    [InlineData(new[] { "rack", "GROUP_BY", "3" }, ConstraintOperator.GroupBy, "3", 3)]
    [InlineData(new[] { "hostname", "LIKE", "web-[0-9]+" }, ConstraintOperator.Like, "web-[0-9]+", 0)]
    [InlineData(new[] { "hostname", "UNLIKE", "db.*" }, ConstraintOperator.Unlike, "db.*", 0)]
    [InlineData(new[] { "rack", "MAX_PER", "2" }, ConstraintOperator.MaxPer, "2", 2)]
    [InlineData(new[] { "@zone", "IS", "a" }, ConstraintOperator.Is, "a", 0)]
    [InlineData(new[] { "rack", "max_per", "2" }, ConstraintOperator.MaxPer, "2", 2)]
    public void Parses_valid_constraints(string[] raw, ConstraintOperator op, string? value, int number)
    {
        Assert.True(ConstraintParser.TryParse(raw, out var c, out var error), error);
        Assert.Equal(raw[0], c.Field);
        Assert.Equal(op, c.Operator);
        Assert.Equal(value, c.Value);
        Assert.Equal(number, c.Number);
    }

    [Theory]
    [InlineData(new[] { "rack", "FOO" }, "Constraint operator FOO is not one of UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS")]
    [InlineData(new[] { "rack" }, "Each constraint must have either 2 or 3 fields")]
    [InlineData(new[] { "rack", "IS", "a", "b" }, "Each constraint must have either 2 or 3 fields")]
    [InlineData(new[] { "", "UNIQUE" }, "Constraint field must not be empty")]
    [InlineData(new[] { "rack", "MAX_PER" }, "MAX_PER requires a numeric value")]
    [InlineData(new[] { "rack", "MAX_PER", "two" }, "MAX_PER requires a numeric value, got 'two'")]
    [InlineData(new[] { "rack", "MAX_PER", "-1" }, "MAX_PER requires a numeric value, got '-1'")]
    [InlineData(new[] { "rack", "GROUP_BY", "x" }, "GROUP_BY requires a numeric value, got 'x'")]
    [InlineData(new[] { "rack", "UNIQUE", "x" }, "UNIQUE does not accept a value")]
    [InlineData(new[] { "rack", "LIKE" }, "LIKE requires a regular expression value")]
    [InlineData(new[] { "rack", "IS" }, "IS requires a value")]
    public void Rejects_invalid_constraints_with_clear_errors(string[] raw, string expected)
    {
        Assert.False(ConstraintParser.TryParse(raw, out var c, out var error));
        Assert.Null(c);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Invalid_regex_is_reported()
    {
        Assert.False(ConstraintParser.TryParse(["hostname", "LIKE", "web-[0-9"], out _, out var error));
        Assert.StartsWith("invalid regular expression 'web-[0-9'", error);
    }

    [Fact]
    public void Regexes_are_compiled_once_and_shared()
    {
        Assert.True(ConstraintParser.TryParse(["hostname", "LIKE", "cache-me-[a-z]+"], out var a, out _));
        Assert.True(ConstraintParser.TryParse(["rack", "UNLIKE", "cache-me-[a-z]+"], out var b, out _));
        Assert.Same(a.Pattern, b.Pattern);
    }

    [Fact]
    public void Parse_all_reports_each_bad_index()
    {
        var ok = ConstraintParser.TryParseAll([["hostname", "UNIQUE"], ["rack", "BAD"], ["rack", "MAX_PER", "x"]], out var parsed, out var errors);
        Assert.False(ok);
        Assert.Single(parsed);
        Assert.Equal([1, 2], errors.Select(e => e.Index));
    }

    [Fact]
    public void Round_trips_to_marathon_json_shape()
    {
        Assert.True(ConstraintParser.TryParse(["rack", "GROUP_BY", "2"], out var c, out _));
        Assert.Equal("[\"rack\", \"GROUP_BY\", \"2\"]", c.ToString());
    }
}
