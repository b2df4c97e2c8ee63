using System.CommandLine;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Tests;

/// <summary>Every command that talks to the server takes --token and --ca, and its one client sends the token.</summary>
public sealed class ClientTokenTests
{
    private static IEnumerable<Command> Walk(Command c) => [c, .. c.Subcommands.SelectMany(Walk)];

    [Fact]
    public void Every_client_command_takes_the_shared_token_and_CA_options()
    {
        var context = CliHarness.Context(new StringWriter(), new StringWriter());
        var root = DroverRootCommand.Build(context);
        var clients = Walk(root).OfType<ClientCommand>().ToList();
        Assert.Contains(clients, c => c.Name == "logs");
        Assert.Contains(clients, c => c.Name == "events");
        foreach (var c in clients)
        {
            Assert.Contains(context.Client.Token, c.Options);
            Assert.Contains(context.Client.Ca, c.Options);
        }
    }

    [Fact]
    public void The_client_sends_the_token_from_the_option_or_the_environment_as_a_bearer_token()
    {
        var context = CliHarness.Context(new StringWriter(), new StringWriter());
        var root = DroverRootCommand.Build(context);
        using (var client = context.Client.CreateClient(root.Parse(["logs", "-f", "/x", "--token", "s3cret"])))
            Assert.Equal("Bearer s3cret", client.Http.DefaultRequestHeaders.Authorization?.ToString());
        using (var none = context.Client.CreateClient(root.Parse(["events"])))
            Assert.True(Environment.GetEnvironmentVariable("DROVER_TOKEN") is not null || none.Http.DefaultRequestHeaders.Authorization is null);
    }

    [Fact]
    public async Task A_bad_CA_value_is_a_usage_error_naming_it()
    {
        var run = await CliHarness.RunAsync("app", "ls", "--server", "https://127.0.0.1:1", "--ca", "sha256:nothex");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--ca: 'sha256:nothex' is not a CA digest: expected sha256:<64 hex digits>", run.Err);
        var missing = await CliHarness.RunAsync("app", "ls", "--server", "https://127.0.0.1:1", "--ca", "/no/such/ca.pem");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--ca: cannot read the CA file '/no/such/ca.pem'", missing.Err);
    }
}
