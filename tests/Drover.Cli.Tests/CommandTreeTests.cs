using System.CommandLine;
using Drover.Cli.CommandLine;
using Drover.Cli.Commands.Apps;
using Drover.Cli.Commands.Deployments;

namespace Drover.Cli.Tests;

/// <summary>The command tree: words reach only their own command; every level has complete help.</summary>
public sealed class CommandTreeTests
{
    private static RootCommand Root() => DroverRootCommand.Build(CliHarness.Context(new StringWriter(), new StringWriter()));

    public static IEnumerable<object[]> AllCommandPaths() =>
        Walk(Root(), []).Select(p => new object[] { string.Join(' ', p) });

    private static IEnumerable<string[]> Walk(Command c, string[] path)
    {
        yield return path;
        foreach (var sub in c.Subcommands.Where(s => !s.Hidden)) foreach (var p in Walk(sub, [.. path, sub.Name])) yield return p;
    }

    [Theory]
    [InlineData("deployment rm /victim", typeof(DeploymentRemoveCommand))]
    [InlineData("deployment rm --force 3f2a", typeof(DeploymentRemoveCommand))]
    [InlineData("deployment revert 3f2a", typeof(DeploymentRemoveCommand))]
    [InlineData("deployment ls", typeof(DeploymentListCommand))]
    [InlineData("deployments", typeof(DeploymentListCommand))]
    [InlineData("app rm /victim", typeof(AppRemoveCommand))]
    [InlineData("app scale /x 3", typeof(AppScaleCommand))]
    public void Words_reach_only_their_own_command(string line, Type expected)
    {
        var result = Root().Parse(line.Split(' '));
        Assert.Empty(result.Errors);
        Assert.IsType(expected, result.CommandResult.Command);
    }

    [Fact]
    public void Deleting_commands_are_not_reachable_from_other_words()
    {
        // a delete may only be reached by its own path: deployment words never end in an app command
        foreach (var line in new[] { "deployment rm", "deployment ls /victim", "deployments rm /victim", "deployment /victim" })
        {
            var result = Root().Parse(line.Split(' '));
            Assert.IsNotType<AppRemoveCommand>(result.CommandResult.Command);
        }
    }

    [Theory]
    [MemberData(nameof(AllCommandPaths))]
    public async Task Every_level_has_help_listing_its_options_and_commands(string path)
    {
        var words = path.Length == 0 ? Array.Empty<string>() : path.Split(' ');
        var run = await CliHarness.RunAsync([.. words, "--help"]);
        Assert.Equal(0, run.ExitCode);
        var command = words.Aggregate((Command)Root(), (c, w) => c.Subcommands.Single(s => s.Name == w));
        Assert.Contains("Usage:", run.Out);
        foreach (var option in command.Options.Where(o => !o.Hidden)) Assert.Contains(option.Name, run.Out);
        foreach (var sub in command.Subcommands.Where(s => !s.Hidden)) Assert.Contains(sub.Name, run.Out);
        foreach (var symbol in command.Options.Cast<Symbol>().Concat(command.Arguments).Concat(command.Subcommands).Where(s => !s.Hidden))
            Assert.False(string.IsNullOrWhiteSpace(symbol.Description), $"{path} {symbol.Name} has no description");
    }

    [Theory]
    [InlineData("up", "--listen", "--data-dir", "--keep-tasks", "--ports", "--agent-listen", "--dns-listen", "--attr", "--cpus", "--mem", "--hostname", "--advertise", "--token", "--api-token", "--api-token-reads", "--tls-listen", "--tls-cert", "--tls-key", "--tls-ca")]
    [InlineData("agent", "--join", "--listen", "--hostname", "--attr", "--ports", "--cpus", "--mem", "--disk", "--advertise", "--token", "--data-dir")]
    [InlineData("server", "--listen", "--data-dir", "--token", "--agent-timeout", "--dns-listen", "--domain", "--recursor", "--dns-only-passing", "--in-memory",
        "--api-token", "--api-token-reads", "--tls-listen", "--tls-cert", "--tls-key", "--tls-ca", "--advertise", "--etcd", "--leader-lease-ttl")]
    [InlineData("app ls", "--server", "--token", "--ca", "--output")]
    public async Task Role_options_are_documented(string role, params string[] options)
    {
        var run = await CliHarness.RunAsync([.. role.Split(' '), "--help"]);
        foreach (var o in options) Assert.Contains(o, run.Out);
    }

    [Theory]
    [InlineData("server", "--token", "Join token agents must present (not an API token)")]
    [InlineData("server", "--api-token", "API token the REST APIs")]
    [InlineData("up", "--token", "Join token agents must present (not an API token)")]
    [InlineData("up", "--api-token", "API token the REST APIs")]
    [InlineData("agent", "--token", "join token as the server printed it (not an API token)")]
    [InlineData("ps", "--token", "API token (the server's --api-token, not the agents' join token)")]
    [InlineData("logs", "--token", "API token (the server's --api-token, not the agents' join token)")]
    [InlineData("events", "--token", "API token (the server's --api-token, not the agents' join token)")]
    public void Each_token_option_says_which_token_it_is(string path, string option, string description)
    {
        var command = path.Split(' ').Aggregate((Command)Root(), (c, w) => c.Subcommands.Single(s => s.Name == w));
        var o = command.Options.Single(x => x.Name == option);
        Assert.Contains(description, o.Description);
    }

    [Fact]
    public async Task Version_names_the_commit()
    {
        var run = await CliHarness.RunAsync("--version");
        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"^drover \d+\.\d+\.\d+( \(commit [0-9a-f]{7,12}\))?\s*$", run.Out);
    }

    [Fact]
    public async Task No_arguments_prints_help_and_exits_2()
    {
        var run = await CliHarness.RunAsync();
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Commands:", run.Out);
    }
}
