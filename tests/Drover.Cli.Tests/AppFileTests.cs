using Drover.Cli.CommandLine;
using Drover.Cli.Files;

namespace Drover.Cli.Tests;

/// <summary>Definition files: syntax errors name the file, 1-based line and column, in plain words.</summary>
public sealed class AppFileTests
{
    [Fact]
    public void A_json_syntax_error_names_file_line_and_column()
    {
        var e = Assert.Throws<CliException>(() => AppFile.Parse("{\n  \"id\": \"/x\",\n  \"cmd\": \"y\"\n  \"instances\": 2\n}", "app.json"));
        Assert.StartsWith("app.json: invalid JSON at line 4, column 3: ", e.Message);
        Assert.DoesNotContain("LineNumber", e.Message);
        Assert.DoesNotContain("Path: $", e.Message);
    }

    [Fact]
    public void Columns_count_characters_not_bytes()
    {
        var e = Assert.Throws<CliException>(() => AppFile.Parse("{\"id\": \"/ü\", x}", "a.json"));
        Assert.Contains("line 1, column 14", e.Message);
    }

    [Fact]
    public void An_unclosed_object_and_an_empty_file_are_explained()
    {
        Assert.Contains("the file ends before every '{' or '[' is closed", Assert.Throws<CliException>(() => AppFile.Parse("{\"id\": \"/x\"", "a.json")).Message);
        Assert.Contains("a.json: the file is empty", Assert.Throws<CliException>(() => AppFile.Parse("  \n", "a.json")).Message);
    }

    [Fact]
    public void Yaml_errors_and_duplicate_keys_name_the_line()
    {
        var bad = Assert.Throws<CliException>(() => AppFile.Parse("id: /x\ncmd: [unclosed\n", "a.yaml"));
        Assert.StartsWith("a.yaml: invalid YAML at line ", bad.Message);
        var dup = Assert.Throws<CliException>(() => AppFile.Parse("id: /x\ninstances: 1\ninstances: 2\n", "a.yaml"));
        Assert.Contains("line 3", dup.Message);
        Assert.Contains("duplicate key 'instances'", dup.Message);
    }

    [Fact]
    public void Yaml_scalars_are_typed_like_yaml_1_2_and_quoted_ones_stay_strings()
    {
        var e = AppFile.Parse("id: /x\ninstances: 2\ncpus: 0.5\nrequirePorts: true\nlabels:\n  a: \"1\"\n  b: null\n", "a.yaml");
        Assert.Equal(2, e.GetProperty("instances").GetInt32());
        Assert.Equal(0.5, e.GetProperty("cpus").GetDouble());
        Assert.True(e.GetProperty("requirePorts").GetBoolean());
        Assert.Equal("1", e.GetProperty("labels").GetProperty("a").GetString());
    }
}
