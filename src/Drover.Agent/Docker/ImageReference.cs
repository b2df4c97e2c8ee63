namespace Drover.Agent.Docker;

/// <summary>
/// An image name split as Docker does: [registry/]path[:tag][@digest]. The first path component is a registry
/// when it has a '.' or ':' or is "localhost"; otherwise the image comes from Docker Hub.
/// </summary>
public sealed record ImageReference(string Registry, string Repository, string Tag)
{
    public const string DockerHub = "docker.io";

    public static ImageReference Parse(string image)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        var name = image.Trim();
        string tag;
        var at = name.IndexOf('@');
        if (at >= 0)
        {
            // A digest pins the content: Docker pulls it as the "tag".
            tag = name[(at + 1)..];
            name = name[..at];
        }
        else
        {
            var slash = name.LastIndexOf('/');
            var colon = name.LastIndexOf(':');
            if (colon > slash)
            {
                tag = name[(colon + 1)..];
                name = name[..colon];
            }
            else tag = "latest";
        }
        var first = name.IndexOf('/');
        var registry = DockerHub;
        if (first > 0)
        {
            var head = name[..first];
            if (head.Contains('.') || head.Contains(':') || head == "localhost") registry = head;
        }
        return new ImageReference(registry, name, tag);
    }

    /// <summary>The name Docker knows the pulled image by: repository:tag, or repository@digest.</summary>
    public override string ToString() => Tag.Contains(':') ? $"{Repository}@{Tag}" : $"{Repository}:{Tag}";
}
