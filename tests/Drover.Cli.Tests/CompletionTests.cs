using Drover.Cli.CommandLine;

namespace Drover.Cli.Tests;

/// <summary>Shell completion asks the same command tree that parses.</summary>
public sealed class CompletionTests
{
    private static IReadOnlyList<string> Complete(params string[] words) =>
        CompletionCommand.Candidates(DroverRootCommand.Build(CliHarness.Context(new StringWriter(), new StringWriter())), words, words.Length - 1);

    [Fact]
    public void Commands_options_and_values_complete()
    {
        Assert.Equal(["scale"], Complete("app", "sc"));
        Assert.Contains("rollback", Complete("app", ""));
        Assert.Contains("--force", Complete("app", "scale", "/x", "3", "--f"));
        Assert.Contains("--timeout", Complete("app", "scale", "/x", "3", "--"));
        Assert.Equal(["json"], Complete("app", "ls", "--output", "j"));
        Assert.Contains("deployment", Complete("dep"));
        Assert.Contains("deployments", Complete("dep"));
        Assert.Contains("zsh", Complete("completion", ""));
        Assert.DoesNotContain("/?", Complete("app", ""));
    }

    [Fact]
    public async Task The_hidden_command_prints_candidates_and_the_scripts_call_it()
    {
        var run = await CliHarness.RunAsync("__complete", "1", "app", "ro");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("rollback", run.Out.Trim());
        var bash = await CliHarness.RunAsync("completion", "bash");
        Assert.Contains("__complete", bash.Out);
        Assert.Contains("complete -o default -F _drover_complete drover", bash.Out);
        var zsh = await CliHarness.RunAsync("completion", "zsh");
        Assert.Contains("compdef _drover drover", zsh.Out);
    }
}
