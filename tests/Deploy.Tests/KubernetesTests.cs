using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace OutfitFinder.Deploy.Tests;

/// <summary>
/// Every overlay under deploy/k8s rendered with <c>kubectl kustomize</c> (no cluster needed), loaded into the
/// KubernetesClient models and cross-checked: references resolve, ports and probe paths are the app's, images are the
/// Dockerfiles', and the silos have what Orleans' Kubernetes hosting needs.
/// </summary>
public sealed class KubernetesTests
{
    public static TheoryData<string> Overlays => new() { "cpu-only", "gpu" };

    /// <summary>The images deploy/docker builds, by Dockerfile name, and the HTTP port each serves.</summary>
    private static Dictionary<string, string> ImagePorts() =>
        Directory.GetFiles(Repository.PathOf("deploy/docker"), "*.Dockerfile").ToDictionary(
            file => "outfitfinder/" + Path.GetFileNameWithoutExtension(file),
            file => Regex.Match(File.ReadAllText(file), @"ASPNETCORE_URLS=http://\+:(\d+)").Groups[1].Value);

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Overlay_ReferencesOnlyConfigMapsSecretsAndAccountsItDefines(string overlay)
    {
        var objects = Render(overlay);
        var configMaps = Names<V1ConfigMap>(objects);
        var secrets = Names<V1Secret>(objects);
        var accounts = Names<V1ServiceAccount>(objects);

        foreach (var deployment in objects.OfType<V1Deployment>())
        {
            var pod = deployment.Spec.Template.Spec;
            Assert.True(pod.ServiceAccountName is null || accounts.Contains(pod.ServiceAccountName), $"{deployment.Metadata.Name}: no account {pod.ServiceAccountName}");
            foreach (var container in pod.Containers)
            {
                foreach (var source in container.EnvFrom ?? [])
                {
                    Assert.True(source.ConfigMapRef is null || configMaps.Contains(source.ConfigMapRef.Name), $"{deployment.Metadata.Name}: no ConfigMap {source.ConfigMapRef?.Name}");
                    Assert.True(source.SecretRef is null || secrets.Contains(source.SecretRef.Name), $"{deployment.Metadata.Name}: no Secret {source.SecretRef?.Name}");
                }

                foreach (var variable in container.Env ?? [])
                {
                    Assert.True(variable.ValueFrom?.ConfigMapKeyRef is not { } key || configMaps.Contains(key.Name));
                    Assert.True(variable.ValueFrom?.SecretKeyRef is not { } secret || secrets.Contains(secret.Name));
                }
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Overlay_RunsOnlyTheDockerfilesImages_ProbingTheAppsHealthPathsOnTheirPort(string overlay)
    {
        var images = ImagePorts();
        var objects = Render(overlay);

        var containers = objects.OfType<V1Deployment>().SelectMany(deployment => deployment.Spec.Template.Spec.Containers)
            .Where(container => container.Image.StartsWith("outfitfinder/", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(containers);
        foreach (var container in containers)
        {
            var image = container.Image.Split(':')[0];
            Assert.True(images.TryGetValue(image, out var port), $"{container.Image} is built by no Dockerfile in deploy/docker");
            var http = Assert.Single(container.Ports, p => p.Name == "http");
            Assert.Equal(port, http.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("/health/live", container.LivenessProbe.HttpGet.Path);
            Assert.Equal("http", container.LivenessProbe.HttpGet.Port.Value);
            // Only the gateway maps /health/ready (a grain call and a storage read); a silo serves /health/live.
            Assert.Equal(image == "outfitfinder/gateway" ? "/health/ready" : "/health/live", container.ReadinessProbe.HttpGet.Path);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Overlay_ServicesHpasAndBudgetsSelectPodsOfItsDeployments(string overlay)
    {
        var objects = Render(overlay);
        var deployments = objects.OfType<V1Deployment>().ToList();

        bool Selects(IDictionary<string, string> selector, V1Deployment deployment) =>
            selector.All(label => deployment.Spec.Template.Metadata.Labels.TryGetValue(label.Key, out var value) && value == label.Value);

        foreach (var service in objects.OfType<V1Service>())
        {
            var target = Assert.Single(deployments, deployment => Selects(service.Spec.Selector, deployment));
            foreach (var port in service.Spec.Ports)
            {
                Assert.Contains(target.Spec.Template.Spec.Containers.SelectMany(container => container.Ports), p => p.Name == port.TargetPort.Value);
            }
        }

        foreach (var budget in objects.OfType<V1PodDisruptionBudget>())
        {
            Assert.Single(deployments, deployment => Selects(budget.Spec.Selector.MatchLabels, deployment));
        }

        Assert.Equal(deployments.Count(deployment => deployment.Metadata.Name != "outfitfinder-redis"), objects.OfType<V1PodDisruptionBudget>().Count());
        var hpa = Assert.Single(objects.OfType<V2HorizontalPodAutoscaler>());
        Assert.Contains(deployments, deployment => deployment.Metadata.Name == hpa.Spec.ScaleTargetRef.Name && hpa.Spec.ScaleTargetRef.Kind == "Deployment");
        Assert.Equal("outfitfinder-gateway", hpa.Spec.ScaleTargetRef.Name);
    }

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public void Overlay_GivesSilosWhatOrleansKubernetesHostingNeeds(string overlay)
    {
        var objects = Render(overlay);
        var silos = objects.OfType<V1Deployment>().Where(deployment => deployment.Metadata.Name.StartsWith("outfitfinder-silo", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(silos);
        foreach (var silo in silos)
        {
            var pod = silo.Spec.Template;
            Assert.Equal("outfitfinder", pod.Metadata.Labels["orleans/serviceId"]);
            Assert.Equal("outfitfinder", pod.Metadata.Labels["orleans/clusterId"]);
            var env = pod.Spec.Containers.Single().Env.ToDictionary(variable => variable.Name);
            Assert.Equal("metadata.labels['orleans/serviceId']", env["ORLEANS_SERVICE_ID"].ValueFrom.FieldRef.FieldPath);
            Assert.Equal("metadata.labels['orleans/clusterId']", env["ORLEANS_CLUSTER_ID"].ValueFrom.FieldRef.FieldPath);
            Assert.Equal("status.podIP", env["POD_IP"].ValueFrom.FieldRef.FieldPath);
            Assert.Equal("metadata.name", env["POD_NAME"].ValueFrom.FieldRef.FieldPath);
            Assert.Equal("metadata.namespace", env["POD_NAMESPACE"].ValueFrom.FieldRef.FieldPath);

            // Its account may watch and delete pods (Kubernetes hosting deletes the pods of dead silos).
            var binding = Assert.Single(objects.OfType<V1RoleBinding>(), b => b.Subjects.Any(s => s.Kind == "ServiceAccount" && s.Name == pod.Spec.ServiceAccountName));
            var role = Assert.Single(objects.OfType<V1Role>(), r => r.Metadata.Name == binding.RoleRef.Name);
            var pods = Assert.Single(role.Rules, rule => rule.Resources.Contains("pods"));
            Assert.Subset(pods.Verbs.ToHashSet(), new HashSet<string> { "get", "list", "watch", "delete" });
        }

        // The gateway must not look like a silo to Kubernetes hosting.
        var gateway = Assert.Single(objects.OfType<V1Deployment>(), deployment => deployment.Metadata.Name == "outfitfinder-gateway");
        Assert.DoesNotContain(gateway.Spec.Template.Metadata.Labels.Keys, key => key.StartsWith("orleans/", StringComparison.Ordinal));
        Assert.Equal("Client", gateway.Spec.Template.Spec.Containers.Single().Env.Single(variable => variable.Name == "Cluster__Mode").Value);
    }

    [SkippableTheory]
    [InlineData("cpu-only", false)]
    [InlineData("gpu", true)]
    public void Overlay_AsksForGpusExactlyWhereTheCudaImageRuns(string overlay, bool gpu)
    {
        var objects = Render(overlay);

        var pods = objects.OfType<V1Deployment>().Select(deployment => deployment.Spec.Template.Spec).ToList();
        var cuda = pods.Where(pod => pod.Containers.Any(container => container.Image.StartsWith("outfitfinder/silo-cuda:", StringComparison.Ordinal))).ToList();

        Assert.Equal(gpu ? 1 : 0, cuda.Count);
        foreach (var pod in pods)
        {
            var limits = pod.Containers.Single().Resources?.Limits ?? new Dictionary<string, ResourceQuantity>();
            Assert.Equal(cuda.Contains(pod), limits.ContainsKey("nvidia.com/gpu"));
        }

        foreach (var pod in cuda)
        {
            Assert.Equal("1", pod.Containers.Single().Resources.Limits["nvidia.com/gpu"].ToString());
            Assert.Contains(pod.Tolerations, toleration => toleration.Key == "nvidia.com/gpu");
            Assert.NotEmpty(pod.NodeSelector);
            Assert.Equal("true", pod.Containers.Single().Env.Single(variable => variable.Name == "Extraction__Gpu").Value);
        }
    }

    private static HashSet<string> Names<T>(List<object> objects)
        where T : IKubernetesObject<V1ObjectMeta> =>
        [.. objects.OfType<T>().Select(item => item.Metadata.Name)];

    private static List<object> Render(string overlay)
    {
        Repository.RequireTool("kubectl");
        var (exitCode, output, error) = Repository.Run("kubectl", "kustomize", $"deploy/k8s/overlays/{overlay}");
        Assert.True(exitCode == 0, error);
        var objects = KubernetesYaml.LoadAllFromString(output);
        Assert.All(objects, item => Assert.Equal("outfitfinder", (item as IMetadata<V1ObjectMeta>)?.Metadata.NamespaceProperty ?? "outfitfinder"));
        return objects;
    }
}
