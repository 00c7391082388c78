using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace OutfitFinder.Deploy.Tests;

/// <summary>
/// docker-compose.yml, the Dockerfiles and the monitoring files beside them, checked without a container engine:
/// <c>docker-compose config</c> validates the file as Compose reads it, and the tests read what it resolved.
/// </summary>
public sealed class ComposeTests
{
    private static readonly string[] CpuServices =
        ["azurite", "redis", "silo-cpu-1", "silo-cpu-2", "gateway", "otel-collector", "jaeger", "prometheus", "grafana"];

    [SkippableTheory]
    [InlineData("")]
    [InlineData("gpu")]
    public void DockerCompose_Validates(string profile)
    {
        Repository.RequireTool("docker-compose");

        string[] arguments = profile.Length == 0 ? ["config", "--quiet"] : ["--profile", profile, "config", "--quiet"];
        var (exitCode, _, error) = Repository.Run("docker-compose", arguments);

        Assert.True(exitCode == 0, error);
    }

    [SkippableFact]
    public void DockerCompose_RunsWithoutAGpu_AndAddsTheCudaSiloOnlyInTheGpuProfile()
    {
        var services = Services(Resolved());

        var gpuOnly = services.Where(service => Profiles(service.Value).Contains("gpu")).Select(service => service.Key).ToList();
        var always = services.Where(service => Profiles(service.Value).Count == 0).Select(service => service.Key).ToList();

        Assert.Equal(CpuServices.Order(), always.Order());
        Assert.Equal(["dcgm-exporter", "silo-gpu"], gpuOnly.Order());
        // A service that always starts must not wait for one that only the gpu profile starts.
        foreach (var name in always)
        {
            var needs = ((YamlMappingNode)services[name]).Children.TryGetValue("depends_on", out var dependsOn)
                ? ((YamlMappingNode)dependsOn).Children.Keys.Select(key => key.ToString())
                : [];
            Assert.DoesNotContain(needs, gpuOnly.Contains);
        }

        var devices = (YamlSequenceNode)services["silo-gpu"]["deploy"]["resources"]["reservations"]["devices"];
        var device = (YamlMappingNode)devices[0];
        Assert.Equal("nvidia", device["driver"].ToString());
        Assert.Contains("gpu", ((YamlSequenceNode)device["capabilities"]).Select(node => node.ToString()));
    }

    [SkippableFact]
    public void DockerCompose_BuildsEachImageFromItsDockerfile_UnderTheDockerfilesName()
    {
        var services = Services(Resolved());

        var built = services.Where(service => ((YamlMappingNode)service.Value).Children.ContainsKey("build")).ToList();

        Assert.Equal(["gateway", "silo-cpu-1", "silo-cpu-2", "silo-gpu"], built.Select(service => service.Key).Order());
        foreach (var (name, service) in built)
        {
            var dockerfile = service["build"]["dockerfile"].ToString();
            Assert.True(File.Exists(Repository.PathOf(dockerfile)), $"{name} builds from {dockerfile}, which does not exist");
            Assert.Equal($"outfitfinder/{Path.GetFileNameWithoutExtension(dockerfile)}:latest", service["image"].ToString());
        }
    }

    [SkippableFact]
    public void DockerCompose_EnablesTheOrleansDashboardOnEverySilo_WhenTheGatewayServesIt()
    {
        var services = Services(Resolved());

        string? Setting(string service) =>
            ((YamlMappingNode)services[service]["environment"]).Children.TryGetValue("Telemetry__Dashboard__Enabled", out var value) ? value.ToString() : null;

        Assert.Equal("true", Setting("gateway"));
        Assert.All(services.Keys.Where(name => name.StartsWith("silo-", StringComparison.Ordinal)), silo => Assert.Equal("true", Setting(silo)));
    }

    [Theory]
    [InlineData("deploy/docker/gateway.Dockerfile", "8080", "/health/live")]
    [InlineData("deploy/docker/silo.Dockerfile", "5090", "/health/live")]
    [InlineData("deploy/docker/silo-cuda.Dockerfile", "5090", "/health/live")]
    public void Dockerfile_IsMultiStage_RunsAsNonRoot_AndChecksHealthOnTheAppsPort(string dockerfile, string port, string path)
    {
        var lines = Repository.Read(dockerfile).Split('\n').Select(line => line.Trim()).ToList();

        Assert.True(lines.Count(line => line.StartsWith("FROM ", StringComparison.Ordinal)) >= 2, "not multi-stage");
        Assert.Contains(lines, line => line.StartsWith("COPY --from=build ", StringComparison.Ordinal));
        var user = lines.Last(line => line.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..];
        Assert.DoesNotContain(user, new[] { "root", "0" });
        Assert.Contains(lines, line => line.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains($"http://localhost:{port}{path}", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains($"ASPNETCORE_URLS=http://+:{port}", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Prometheus_ScrapesOnlyServicesTheComposeFileRuns_OnTheirMetricsPorts()
    {
        var services = Services(Resolved());
        var config = Repository.Read("deploy/compose/prometheus.yml");

        var targets = Regex.Matches(config, @"""(?<host>[a-z0-9-]+):(?<port>\d+)""").Select(match => (match.Groups["host"].Value, match.Groups["port"].Value)).ToList();

        Assert.NotEmpty(targets);
        foreach (var (host, port) in targets)
        {
            Assert.True(services.ContainsKey(host), $"Prometheus scrapes {host}, which docker-compose.yml does not run");
            var expected = host switch
            {
                "gateway" => "8080",
                "dcgm-exporter" => "9400",
                _ => "5090",
            };
            Assert.Equal(expected, port);
        }
    }

    [Fact]
    public void GrafanaDashboard_UsesOnlyProvisionedDataSources()
    {
        using var dashboard = JsonDocument.Parse(Repository.Read("deploy/compose/grafana/dashboards/outfitfinder.json"));
        var provisioned = Regex.Matches(Repository.Read("deploy/compose/grafana/provisioning/datasources/datasources.yaml"), @"uid: (\S+)")
            .Select(match => match.Groups[1].Value).ToHashSet();

        var used = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(panel => panel.TryGetProperty("datasource", out _))
            .Select(panel => panel.GetProperty("datasource").GetProperty("uid").GetString()!)
            .ToHashSet();

        Assert.NotEmpty(used);
        Assert.Subset(provisioned, used);
        Assert.Equal("outfitfinder", dashboard.RootElement.GetProperty("uid").GetString());
    }

    /// <summary>The file as Compose resolves it: every service, each with its <c>profiles</c>.</summary>
    private static YamlMappingNode Resolved()
    {
        Repository.RequireTool("docker-compose");
        var (exitCode, output, error) = Repository.Run("docker-compose", "config");
        Assert.True(exitCode == 0, error);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(output));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static List<string> Profiles(YamlNode service) =>
        ((YamlMappingNode)service).Children.TryGetValue("profiles", out var profiles)
            ? [.. ((YamlSequenceNode)profiles).Select(profile => profile.ToString())]
            : [];

    private static Dictionary<string, YamlNode> Services(YamlMappingNode compose) =>
        ((YamlMappingNode)compose["services"]).Children.ToDictionary(entry => entry.Key.ToString(), entry => entry.Value);
}
