using System.Formats.Tar;
using System.IO.Compression;
using Drover.Core.Apps;

namespace Drover.Agent.Drivers;

/// <summary>
/// Downloads a task's fetch URIs into its sandbox (the Mesos fetcher's job): http(s), file:// and
/// absolute paths; extracts .tar, .tar.gz/.tgz and .zip when asked; marks files executable.
/// </summary>
public sealed class ArtifactFetcher(HttpClient http)
{
    /// <summary>Fetches every URI in order; throws <see cref="TaskLaunchException"/> naming the URI that failed.</summary>
    public async Task FetchAllAsync(IReadOnlyList<FetchUri> uris, string sandbox, CancellationToken ct)
    {
        foreach (var uri in uris)
        {
            try
            {
                await FetchAsync(uri, sandbox, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (!ct.IsCancellationRequested
                                      && e is IOException or HttpRequestException or UnauthorizedAccessException
                                          or InvalidDataException or UriFormatException or ArgumentException
                                          or TaskCanceledException)
            {
                throw new TaskLaunchException($"fetch of {uri.Uri} failed: {e.Message}", e);
            }
        }
    }

    /// <summary>Fetches one URI; returns the path of the downloaded file.</summary>
    public async Task<string> FetchAsync(FetchUri fetch, string sandbox, CancellationToken ct)
    {
        var (kind, source) = Classify(fetch.Uri);
        var fileName = Path.GetFileName(source.TrimEnd('/'));
        if (string.IsNullOrEmpty(fileName)) throw new ArgumentException($"cannot derive a file name from '{fetch.Uri}'");
        var dest = ResolveDestination(sandbox, fetch.DestPath ?? fileName);
        Directory.CreateDirectory(Path.GetDirectoryName(dest)!);

        if (kind == SourceKind.Http)
        {
            using var resp = await http.GetAsync(source, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!resp.IsSuccessStatusCode)
                throw new HttpRequestException($"HTTP {(int)resp.StatusCode} {resp.ReasonPhrase}");
            await using var body = await resp.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using var file = new FileStream(dest, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true);
            await body.CopyToAsync(file, ct).ConfigureAwait(false);
        }
        else
        {
            if (!File.Exists(source)) throw new FileNotFoundException($"no such file: {source}");
            await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
            await using var file = new FileStream(dest, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true);
            await input.CopyToAsync(file, ct).ConfigureAwait(false);
        }

        if (fetch.Executable) MakeExecutable(dest);
        if (fetch.Extract) await ExtractAsync(dest, sandbox, ct).ConfigureAwait(false);
        return dest;
    }

    private enum SourceKind { Http, File }

    private static (SourceKind Kind, string Source) Classify(string uri)
    {
        if (uri.StartsWith('/')) return (SourceKind.File, uri);
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var u)) throw new UriFormatException($"'{uri}' is neither an absolute URI nor an absolute path");
        return u.Scheme switch
        {
            "http" or "https" => (SourceKind.Http, u.AbsoluteUri),
            "file" => (SourceKind.File, u.LocalPath),
            _ => throw new ArgumentException($"unsupported scheme '{u.Scheme}' (use http, https, file or an absolute path)"),
        };
    }

    /// <summary>Resolves a destination inside the sandbox; refuses paths that would leave it.</summary>
    internal static string ResolveDestination(string sandbox, string relative)
    {
        var root = Path.GetFullPath(sandbox).TrimEnd('/') + "/";
        var full = Path.GetFullPath(Path.Combine(root, relative.TrimStart('/')));
        if (!full.StartsWith(root, StringComparison.Ordinal))
            throw new ArgumentException($"destination '{relative}' is outside the sandbox");
        return full;
    }

    private static async Task ExtractAsync(string archive, string sandbox, CancellationToken ct)
    {
        var name = Path.GetFileName(archive).ToLowerInvariant();
        if (name.EndsWith(".zip", StringComparison.Ordinal))
        {
            await ZipFile.ExtractToDirectoryAsync(archive, sandbox, overwriteFiles: true, ct).ConfigureAwait(false);
        }
        else if (name.EndsWith(".tar.gz", StringComparison.Ordinal) || name.EndsWith(".tgz", StringComparison.Ordinal))
        {
            await using var file = File.OpenRead(archive);
            await using var gz = new GZipStream(file, CompressionMode.Decompress);
            await TarFile.ExtractToDirectoryAsync(gz, sandbox, overwriteFiles: true, ct).ConfigureAwait(false);
        }
        else if (name.EndsWith(".tar", StringComparison.Ordinal))
        {
            await using var file = File.OpenRead(archive);
            await TarFile.ExtractToDirectoryAsync(file, sandbox, overwriteFiles: true, ct).ConfigureAwait(false);
        }
        // Other files are not archives: leave them as they are.
    }

    private static void MakeExecutable(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = File.GetUnixFileMode(path);
        File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute
                                   | UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }
}
