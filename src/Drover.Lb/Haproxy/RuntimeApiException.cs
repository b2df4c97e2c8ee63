namespace Drover.Lb.Haproxy;

/// <summary>HAProxy's runtime API refused a command or could not be reached; the message quotes the command and HAProxy's answer.</summary>
public sealed class RuntimeApiException(string command, string answer, Exception? inner = null)
    : Exception($"haproxy refused '{command}': {answer.Trim()}", inner)
{
    public string Command { get; } = command;
    public string Answer { get; } = answer.Trim();
}
