using Drover.Api.Client;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Commands.Tasks;

/// <summary>Copies one task's log to the console, line by line behind a prefix when several tasks share it.</summary>
public sealed class LogPump(CommandSession session, LogRequest request, string? prefix)
{
    private static readonly object WriteLock = new();

    public async Task RunAsync(string taskId, int? tail, CancellationToken ct)
    {
        var pending = "";
        try
        {
            await foreach (var chunk in session.Client.StreamLogAsync(taskId, request.Stream, request.Follow, tail, request.Since, ct))
            {
                if (prefix is null)
                {
                    lock (WriteLock) { session.Out.Write(chunk); session.Out.Flush(); }
                    continue;
                }
                pending += chunk;
                var nl = pending.LastIndexOf('\n');
                if (nl < 0) continue;
                var lines = pending[..nl].Split('\n');
                pending = pending[(nl + 1)..];
                lock (WriteLock)
                {
                    foreach (var l in lines) session.Out.WriteLine(prefix + l);
                    session.Out.Flush();
                }
            }
        }
        catch (DroverApiException e) when (prefix is not null)
        {
            // one task's log failing (agent gone, sandbox removed) must not end the others
            lock (WriteLock) session.Console.Err.WriteLine($"drover: logs of {taskId}: {e.Message}");
        }
        catch (HttpRequestException e) when (prefix is not null)
        {
            lock (WriteLock) session.Console.Err.WriteLine($"drover: logs of {taskId}: {e.Message}");
        }
        if (pending.Length > 0) lock (WriteLock) session.Out.WriteLine(prefix + pending);
    }
}

/// <summary>A prefix per task ("3f2a9c1b | "), in one of six colours on a colour terminal.</summary>
public sealed class TaskColors(CliConsole console)
{
    private static readonly int[] Palette = [36, 32, 33, 35, 34, 91];
    private int _next;

    public string Prefix(string taskId)
    {
        var name = Output.TaskNames.Distinct(taskId);
        name = name[..Math.Min(Output.TaskNames.MinimumLength, name.Length)];
        return console.Paint(name, Palette[_next++ % Palette.Length]) + " | ";
    }
}
