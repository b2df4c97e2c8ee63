using Drover.Cli.CommandLine;
using Drover.Cli.Output;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Drover.Cli.Progress;

/// <summary>Shows a deployment's progress while the CLI waits for it.</summary>
public interface IProgressView
{
    void Update(DeploymentProgress progress);
}

/// <summary>
/// Not a terminal (or --output json): plain lines, printed when the step or the counts change, or
/// when the reasons change (at most every few seconds, as they may flap), never for the clock
/// alone, so logs of CI jobs stay short.
/// </summary>
public sealed class PlainProgressView(TextWriter w, TimeProvider time) : IProgressView
{
    private static readonly TimeSpan ReasonInterval = TimeSpan.FromSeconds(5);
    private string _counts = "", _reasons = "";
    private long _printedAt;

    public void Update(DeploymentProgress p)
    {
        var counts = p.Counts();
        var reasons = p.ReasonKinds();
        var now = time.GetTimestamp();
        var reasonsDue = reasons != _reasons && (_printedAt == 0 || time.GetElapsedTime(_printedAt, now) >= ReasonInterval);
        if (counts == _counts && !reasonsDue) return;
        _counts = counts;
        _reasons = reasons;
        _printedAt = now;
        foreach (var app in p.Apps)
        {
            w.WriteLine($"  [{Times.Elapsed(p.Elapsed)}] step {p.Step}/{p.TotalSteps}: {app.Summary()}");
            foreach (var reason in app.Reasons) w.WriteLine($"      waiting: {reason}");
        }
        w.Flush();
    }
}

/// <summary>A terminal: a live block redrawn in place (Spectre.Console), with the reasons in colour.</summary>
public sealed class LiveProgressView(string title) : IProgressView
{
    private DeploymentProgress? _current;

    public DeploymentProgress? Current => _current;

    public void Update(DeploymentProgress progress) => _current = progress;

    public IRenderable Render()
    {
        var p = _current;
        if (p is null) return new Markup($"[grey]{Markup.Escape(title)}: waiting for the deployment to start…[/]");
        var rows = new List<IRenderable>
        {
            new Markup($"[bold]{Markup.Escape(title)}[/]  [grey]step {p.Step}/{p.TotalSteps} · {Times.Elapsed(p.Elapsed)} · deployment {Markup.Escape(p.DeploymentId[..Math.Min(8, p.DeploymentId.Length)])}[/]"),
        };
        foreach (var app in p.Apps)
        {
            rows.Add(new Markup($"  {Markup.Escape(app.Summary())}  {Bar(app)}"));
            foreach (var reason in app.Reasons) rows.Add(new Markup($"    [yellow]↳ {Markup.Escape(reason)}[/]"));
        }
        return new Rows(rows);
    }

    private static string Bar(AppProgress app)
    {
        if (app.Action == "StopApplication" || app.Target == 0) return "";
        const int width = 20;
        var done = (int)Math.Round(width * Math.Min(1.0, (double)(app.HasHealthChecks ? app.NewHealthy : app.NewRunning) / app.Target));
        return $"[green]{new string('█', done)}[/][grey]{new string('░', width - done)}[/]";
    }
}
