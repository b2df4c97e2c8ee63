namespace Drover.Cli.Tests;

/// <summary>Usage errors: one line naming the problem, a suggestion for typos, exit code 2.</summary>
public sealed class ParseErrorTests
{
    [Theory]
    [InlineData("app scal /x 3", "unknown command 'scal' for 'drover app' (did you mean 'scale'?)")]
    [InlineData("deploymnt ls", "unknown command 'deploymnt' for 'drover' (did you mean 'deployment'?)")]
    [InlineData("app scale /x 3 --forc", "unknown option '--forc' for 'drover app scale' (did you mean '--force'?)")]
    [InlineData("--verison", "(did you mean '--version'?)")]
    [InlineData("app", "'drover app' needs a command: apply, ls")]
    [InlineData("app scale /x", "missing <N>")]
    [InlineData("app scale /x three", "the instance count must be a whole number ≥ 0, not 'three'")]
    [InlineData("app scale /x -1", "the instance count must be a whole number ≥ 0, not '-1'")]
    [InlineData("app apply", "option --file is required")]
    [InlineData("app apply -f", "option -f needs a value")]
    [InlineData("app ls --output xml", "--output: 'xml' is not one of: table, json")]
    [InlineData("app scale /x 3 --timeout soon", "--timeout expects a duration like 90s")]
    [InlineData("kv put a b --flags x", "--flags: 'x' is not a whole number")]
    [InlineData("completion fish", "'fish' is not one of: bash, zsh")]
    [InlineData("deployment rm --force", "missing <DEPLOYMENT>")]
    [InlineData("ps a b", "unexpected argument 'b' for 'drover ps'")]
    public async Task A_usage_error_is_one_line_with_exit_code_2(string line, string expected)
    {
        var run = await CliHarness.RunAsync(line.Split(' '));
        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.ErrLines);
        Assert.StartsWith("drover: ", run.Err);
        Assert.Contains(expected, run.Err);
        Assert.Contains("--help'", run.Err);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task An_unreachable_server_is_one_line_with_exit_code_1()
    {
        var run = await CliHarness.RunAsync("app", "ls", "--server", CliHarness.DeadServer);
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.ErrLines);
        Assert.Contains("cannot reach the server", run.Err);
    }

    [Fact]
    public async Task A_server_url_that_is_not_a_url_is_a_usage_error()
    {
        var run = await CliHarness.RunAsync("app", "ls", "--server", "nope");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--server 'nope' is not an http:// or https:// URL", run.Err);
    }
}
