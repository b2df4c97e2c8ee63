namespace Drover.Core.Validation;

/// <summary>Collects violations grouped by JSON-pointer-like path, in Marathon's 422 shape.</summary>
public sealed class ValidationErrors
{
    private readonly List<(string Path, List<string> Errors)> _items = [];

    public bool Any => _items.Count > 0;

    public void Add(string path, string error)
    {
        var existing = _items.FindIndex(i => i.Path == path);
        if (existing >= 0) { if (!_items[existing].Errors.Contains(error)) _items[existing].Errors.Add(error); }
        else _items.Add((path, [error]));
    }

    public IReadOnlyList<(string Path, IReadOnlyList<string> Errors)> Items =>
        _items.Select(i => (i.Path, (IReadOnlyList<string>)i.Errors)).ToList();

    public override string ToString() => string.Join("; ", _items.Select(i => $"{i.Path}: {string.Join(", ", i.Errors)}"));
}

/// <summary>Thrown for input that is well-formed JSON but not a valid object (HTTP 422).</summary>
public sealed class ValidationException(ValidationErrors errors, string message = "Object is not valid") : Exception(message)
{
    public ValidationErrors Errors { get; } = errors;
}
