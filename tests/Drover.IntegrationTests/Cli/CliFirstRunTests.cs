using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Cli;

/// <summary>The first run: a second `drover up` is refused with one clear line; shell completion works in a real bash.</summary>
public sealed class CliFirstRunTests(ITestOutputHelper output)
{
    private static string[] Up(string dataDir, int http, int dns) =>
        ["up", "--data-dir", dataDir, "--listen", $"127.0.0.1:{http}", "--dns-listen", $"127.0.0.1:{dns}", "--agent-listen", "127.0.0.1:0", "--ports", LocalCluster.NextPortRange()];

    [Fact(Timeout = 240_000)]
    public async Task A_second_up_names_the_locked_data_dir_or_the_taken_address_in_one_line()
    {
        using var dir = new TempDir("second-up");
        int http = FreePort.Get(), dns = FreePort.Get();
        await using var first = DroverProcess.Start(Up(dir.Combine("one"), http, dns), new ProcessOptions { Name = "up:first" });
        await first.WaitForLineAsync(l => l.StartsWith("Drover is up", StringComparison.Ordinal), TimeSpan.FromSeconds(90));

        async Task<ProcessResult> Second(params string[] args)
        {
            var r = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(90), args);
            output.WriteLine($"$ drover {string.Join(' ', args)}\n{r}");
            Assert.Equal(1, r.ExitCode);
            var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains(" info: ", StringComparison.Ordinal)).ToList();
            Assert.Single(lines);
            Assert.DoesNotContain("   at ", r.Stderr + r.Stdout);
            Assert.DoesNotContain("Exception", r.Stderr + r.Stdout);
            return r;
        }

        var sameDir = await Second(Up(dir.Combine("one"), FreePort.Get(), FreePort.Get()));
        Assert.Contains(dir.Combine("one"), sameDir.Stderr);
        Assert.Contains($"pid {first.Pid}", sameDir.Stderr);

        var sameDns = await Second(Up(dir.Combine("two"), FreePort.Get(), dns));
        Assert.Contains($"127.0.0.1:{dns}", sameDns.Stderr);
        Assert.Contains("--dns-listen", sameDns.Stderr);

        var sameHttp = await Second(Up(dir.Combine("three"), http, FreePort.Get()));
        Assert.Contains($"127.0.0.1:{http}", sameHttp.Stderr);
        Assert.Contains("--listen", sameHttp.Stderr);

        // the refused ones left nothing behind: their data dirs open again
        await using var again = DroverProcess.Start(Up(dir.Combine("two"), FreePort.Get(), FreePort.Get()), new ProcessOptions { Name = "up:again" });
        await again.WaitForLineAsync(l => l.StartsWith("Drover is up", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
        Assert.False(first.HasExited);
    }

    [Fact(Timeout = 120_000)]
    public async Task Bash_completes_commands_and_options_through_the_script_drover_prints()
    {
        using var dir = new TempDir("completion");
        var wrapper = dir.Combine("drover");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec {Terminal.Quote(DroverProcess.DotnetPath)} {Terminal.Quote(DroverProcess.CliDllPath)} \"$@\"\n");
        async Task<string[]> Complete(string words, int cword)
        {
            var script = $"chmod +x {Terminal.Quote(wrapper)}; source <(drover completion bash); COMP_WORDS=({words}); COMP_CWORD={cword}; _drover_complete; printf '%s\\n' \"${{COMPREPLY[@]}}\"";
            var r = await ProcessRunner.RunAsync("bash", ["-c", script], TimeSpan.FromSeconds(60),
                new Dictionary<string, string?> { ["PATH"] = dir.Path + ":" + Environment.GetEnvironmentVariable("PATH"), ["DROVER_SERVER"] = "http://127.0.0.1:1" });
            output.WriteLine($"complete [{words}] @{cword}: {r}");
            Assert.True(r.Succeeded, r.ToString());
            return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        Assert.Equal(["rollback"], await Complete("drover app ro", 2));
        Assert.Contains("--timeout", await Complete("drover app scale /x 3 --ti", 5));
        Assert.Contains("deployments", await Complete("drover deploy", 1));
        Assert.Equal(["json"], await Complete("drover ps -o j", 3));
    }

    [Fact(Timeout = 120_000)]
    public async Task Zsh_completes_through_the_script_drover_prints()
    {
        using var dir = new TempDir("completion-zsh");
        var wrapper = dir.Combine("drover");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec {Terminal.Quote(DroverProcess.DotnetPath)} {Terminal.Quote(DroverProcess.CliDllPath)} \"$@\"\n");
        // compinit's compdef and compadd need an interactive completion widget: stand-ins that print what compadd gets
        var script = $$"""
            chmod +x {{Terminal.Quote(wrapper)}}
            compdef() { :; }
            compadd() { shift; for a in "${(@P)1}"; do print -r -- "$a"; done; }
            source <(drover completion zsh)
            words=(drover app ro); CURRENT=3; _drover
            print -- ---
            words=(drover app scale /x 3 --ti); CURRENT=6; _drover
            """;
        var r = await ProcessRunner.RunAsync("zsh", ["-c", script], TimeSpan.FromSeconds(60),
            new Dictionary<string, string?> { ["PATH"] = dir.Path + ":" + Environment.GetEnvironmentVariable("PATH"), ["DROVER_SERVER"] = "http://127.0.0.1:1" });
        output.WriteLine(r.ToString());
        Assert.True(r.Succeeded, r.ToString());
        var parts = r.Stdout.Split("---\n");
        Assert.Equal("rollback", parts[0].Trim());
        Assert.Contains("--timeout", parts[1]);
    }
}
