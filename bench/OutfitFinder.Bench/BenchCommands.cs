using System.CommandLine;
using OutfitFinder.Bench.Embedding;
using OutfitFinder.Bench.Reporting;
using OutfitFinder.Bench.Search;
using OutfitFinder.Grains.Catalog;
using OutfitFinder.Grains.Hosting;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Shards;

namespace OutfitFinder.Bench;

/// <summary>The command line: <c>embed</c> and <c>search</c>, each bounded in count and time.</summary>
internal static class BenchCommands
{
    public static RootCommand Build()
    {
        var root = new RootCommand("OutfitFinder benchmarks: prints Markdown tables and one JSON line per measurement.");
        root.Subcommands.Add(Embed());
        root.Subcommands.Add(Search());
        root.Subcommands.Add(PhotoSearch());
        root.Subcommands.Add(Ingest());
        root.Subcommands.Add(Memory());
        root.Subcommands.Add(ClusterFailure());
        root.Subcommands.Add(Capacity());
        root.Subcommands.Add(ExtractionSpread());
        return root;
    }

    private static Command Embed()
    {
        var batch = new Option<int[]>("--batch")
        {
            Description = "Batch sizes to measure, e.g. --batch 1 8 32.", HelpName = "N", AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [1, 8, 32],
        };
        var repetitions = Positive(new Option<int>("--repetitions") { Description = "Timed repetitions per batch size.", DefaultValueFactory = _ => 7 });
        var images = Positive(new Option<int>("--images") { Description = "Images per repetition (rounded up to whole batches).", DefaultValueFactory = _ => 64 });
        var samples = Positive(new Option<int>("--latency-samples") { Description = "Single-image requests per path for the batcher's added latency.", DefaultValueFactory = _ => 40 });
        var provider = new Option<ExecutionProviderPreference>("--provider") { Description = "Auto (CUDA, else CPU), Cuda or Cpu.", DefaultValueFactory = _ => ExecutionProviderPreference.Auto };
        var warmUp = new Option<int>("--warm-up") { Description = "Seconds of single-image calls before the first measurement.", HelpName = "SECONDS", DefaultValueFactory = _ => 5 };
        var photos = new Option<DirectoryInfo>("--photos") { Description = $"Folder of JPEG photos. Default: {BenchPhotos.DefaultFolder} beside the repository root.", HelpName = "DIR" }
            .AcceptExistingOnly();
        AllPositive(batch);
        NotNegative(warmUp);

        var command = new Command("embed", "ResNet18 images/s at each batch size, and the latency the batcher adds to a lone request.")
        {
            batch, repetitions, images, samples, warmUp, provider, photos,
        };
        command.SetAction((parse, cancellationToken) => EmbedBenchmark.RunAsync(
            new EmbedSettings(parse.GetRequiredValue(batch), parse.GetValue(repetitions), parse.GetValue(images), parse.GetValue(samples),
                TimeSpan.FromSeconds(parse.GetValue(warmUp)), parse.GetValue(provider), parse.GetValue(photos)),
            new Report(Console.Out), cancellationToken));
        return command;
    }

    private static Command Ingest()
    {
        var photos = new Option<DirectoryInfo>("--photos") { Description = $"Folder of JPEG photos. Default: {BenchPhotos.DefaultFolder} beside the repository root.", HelpName = "DIR" }
            .AcceptExistingOnly();
        var count = Positive(new Option<int>("--count") { Description = "Photos ingested per source.", DefaultValueFactory = _ => 400 });
        var azurite = new Option<string>("--azurite")
        {
            Description = "The azurite-blob executable, to measure an Azure Blob source too. Default: OUTFIT_AZURITE, else .tools/ of the repository.",
            HelpName = "FILE",
        };
        var load = new Option<int>("--load-vectors") { Description = "Vectors in the one-shard catalog whose load time is measured; 0 skips it.", DefaultValueFactory = _ => 200_000 };
        NotNegative(load);
        var command = new Command("ingest", "Server-side ingestion images/s from a folder and an Azure Blob source beside the raw model, and shard load time.")
        {
            photos, count, azurite, load,
        };
        command.SetAction((parse, cancellationToken) => Ingestion.IngestBenchmark.RunAsync(
            new Ingestion.IngestSettings(parse.GetValue(photos), parse.GetValue(count), parse.GetValue(azurite) ?? DefaultAzurite(), parse.GetValue(load)),
            new Report(Console.Out), cancellationToken));
        return command;
    }

    private static string? DefaultAzurite()
    {
        var configured = Environment.GetEnvironmentVariable("OUTFIT_AZURITE");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        for (var folder = new DirectoryInfo(Environment.CurrentDirectory); folder is not null; folder = folder.Parent)
        {
            var installed = Path.Combine(folder.FullName, ".tools", "node_modules", ".bin", "azurite-blob");
            if (File.Exists(installed))
            {
                return installed;
            }
        }

        return null;
    }

    private static Command Search()
    {
        var vectors = Positive(new Option<int>("--vectors") { Description = "Products in the catalog, one 512-d vector each.", DefaultValueFactory = _ => 100_000 });
        var shards = Positive(new Option<int>("--shards") { Description = "Shards of the catalog.", DefaultValueFactory = _ => 4 });
        var queries = Positive(new Option<int>("--queries") { Description = "Timed queries per run.", DefaultValueFactory = _ => 300 });
        var warmUp = new Option<int>("--warm-up") { Description = "Seconds of untimed queries before each run.", HelpName = "SECONDS", DefaultValueFactory = _ => 5 };
        var concurrency = new Option<int[]>("--concurrency")
        {
            Description = "Requests in flight, one run each, e.g. --concurrency 1 4.", HelpName = "N", AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [1, 4],
        };
        var k = Positive(new Option<int>("--k") { Description = "Results per query.", DefaultValueFactory = _ => 20 });
        var clusters = Positive(new Option<int>("--clusters") { Description = "Gaussian clusters the vectors gather around.", DefaultValueFactory = _ => 1000 });
        var seed = new Option<int>("--seed") { Description = "Seed of the vectors; queries use seed + 1.", DefaultValueFactory = _ => 42 };
        var timeLimit = Positive(new Option<int>("--time-limit") { Description = "Seconds after which the run stops with an error.", HelpName = "SECONDS", DefaultValueFactory = _ => 300 });
        var index = new Option<ShardIndexKind>("--index")
        {
            Description = "The cluster's Search:Index: Auto (a graph from --graph-threshold vectors per shard), Flat or Hnsw.",
            DefaultValueFactory = _ => ShardIndexKind.Auto,
        };
        var graphThreshold = Positive(new Option<int>("--graph-threshold") { Description = "The cluster's Search:GraphThreshold.", HelpName = "VECTORS", DefaultValueFactory = _ => 20_000 });
        var ef = new Option<int?>("--ef") { Description = $"Per-query ef sent with every search, 1–{ShardQuery.MaxEf}. Default: the cluster's Search:DefaultEf." };
        ef.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1 or > ShardQuery.MaxEf)
            {
                result.AddError($"--ef must be between 1 and {ShardQuery.MaxEf}.");
            }
        });
        var graphVectors = new Option<OutfitFinder.Core.Search.HnswVectors>("--graph-vectors")
        {
            Description = "The cluster's Search:GraphVectors: Float, or Int8 graphs whose candidates shards re-rank exactly.",
            DefaultValueFactory = _ => OutfitFinder.Core.Search.HnswVectors.Float,
        };
        var imageQueries = new Option<int>("--image-queries") { Description = "Timed searches by photo (embedded with ResNet18) per concurrency level; 0 for none.", DefaultValueFactory = _ => 50 };
        var setting = new Option<string[]>("--setting")
        {
            Description = "A gateway setting, e.g. --setting Telemetry:Tracing=true; repeat for more.", HelpName = "KEY=VALUE",
            DefaultValueFactory = _ => [],
        };
        setting.Validators.Add(result =>
        {
            foreach (var value in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (value.IndexOf('=', StringComparison.Ordinal) < 1)
                {
                    result.AddError($"--setting '{value}' is not KEY=VALUE.");
                }
            }
        });
        var keys = new Option<bool>("--keys")
        {
            Description = "Also time searches by vector through a gateway with Auth:Mode=Keys and a search key: the overhead of keys and rate limits.",
        };
        var load = new Option<SearchLoadPath>("--load")
        {
            Description = "How the catalog is loaded: Grains (shard grains' batch upsert), Products (JSON vector PUTs through the gateway "
                + "into a model-none catalog) or Ingest (a server-side ingestion job over a manifest naming rows of one .npy).",
            DefaultValueFactory = _ => SearchLoadPath.Grains,
        };
        var putParallel = Positive(new Option<int>("--put-parallel") { Description = "Product PUTs in flight with --load Products.", DefaultValueFactory = _ => 16 });
        var noIndexGraph = new Option<bool>("--no-index-graph")
        {
            Description = "Skip building shard 0's graph in-process on one thread (minutes at a million vectors); the fan-out rows still show the search without HTTP.",
        };
        AllPositive(concurrency);
        NotNegative(warmUp);
        NotNegative(imageQueries);

        var command = new Command("search", "The gateway over HTTP on loopback against in-process index searches, on synthetic vectors.")
        {
            vectors, shards, queries, warmUp, concurrency, k, clusters, seed, timeLimit, index, graphThreshold, ef, imageQueries, graphVectors, setting, keys,
            load, putParallel, noIndexGraph,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(load) != SearchLoadPath.Grains && result.GetValue(imageQueries) > 0)
            {
                result.AddError("--load Products and Ingest make a vectors-only catalog (model none), which photos cannot search: add --image-queries 0.");
            }
        });
        command.SetAction((parse, cancellationToken) => SearchBenchmark.RunAsync(
            new SearchSettings(parse.GetValue(vectors), parse.GetValue(shards), parse.GetValue(queries), TimeSpan.FromSeconds(parse.GetValue(warmUp)),
                parse.GetRequiredValue(concurrency), parse.GetValue(k), parse.GetValue(clusters), parse.GetValue(seed),
                TimeSpan.FromSeconds(parse.GetValue(timeLimit)), parse.GetValue(index), parse.GetValue(graphThreshold), parse.GetValue(ef),
                parse.GetValue(imageQueries), parse.GetValue(graphVectors), parse.GetRequiredValue(setting), parse.GetValue(keys),
                parse.GetValue(load), parse.GetValue(putParallel), !parse.GetValue(noIndexGraph)),
            new Report(Console.Out), cancellationToken));
        return command;
    }

    private static Command PhotoSearch()
    {
        var set = new Option<DirectoryInfo>("--set")
        {
            Description = "Street set of outfit pairs --kind street (test_shop.csv, test_queries.csv). Default: .eval/street beside the repository root; the run is skipped when absent.",
            HelpName = "DIR",
        };
        var queries = Positive(new Option<int>("--queries") { Description = "Timed query photos; each is searched once in every case.", DefaultValueFactory = _ => 150 });
        var warmUp = new Option<int>("--warm-up") { Description = "Untimed query photos searched in every case first.", HelpName = "N", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { Description = "Draws the query photos.", DefaultValueFactory = _ => 1 };
        var model = new Option<string?>("--model") { Description = "The space under test. Default: none sent, so the catalog gets the gateway's default for new catalogs.", HelpName = "MODEL" };
        var baseline = new Option<string>("--baseline") { Description = "The space compared with, searched with localise=none.", HelpName = "MODEL", DefaultValueFactory = _ => "resnet18" };
        var localise = new Option<string[]>("--localise")
        {
            Description = "Localisations the space under test is searched with, one case each.", HelpName = "MODE", AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => ["none", "fast", "thorough"],
        };
        localise.Validators.Add(result =>
        {
            var values = result.GetValueOrDefault<string[]>() ?? [];
            if (values.Length == 0 || values.Any(value => !OutfitFinder.Core.Localisation.QueryRegions.TryParse(value, out _, out _)))
            {
                result.AddError($"--localise takes one or more of {OutfitFinder.Core.Localisation.QueryRegions.Names}.");
            }
        });
        var k = Positive(new Option<int>("--k") { Description = "Results per search.", DefaultValueFactory = _ => 20 });
        var shards = Positive(new Option<int>("--shards") { Description = "Shards of each catalog.", DefaultValueFactory = _ => 4 });
        var parallel = Positive(new Option<int>("--parallel") { Description = "Products uploaded at once while loading.", DefaultValueFactory = _ => 4 });
        var timeLimit = Positive(new Option<int>("--time-limit") { Description = "Seconds after which the run stops with an error.", HelpName = "SECONDS", DefaultValueFactory = _ => 1800 });
        NotNegative(warmUp);
        var command = new Command("photo-search", "Search by photo through the gateway over HTTP: p50/p99 and top-1/top-k of the default space at each localisation against the baseline, interleaved in one run.")
        {
            set, queries, warmUp, seed, model, baseline, localise, k, shards, parallel, timeLimit,
        };
        command.SetAction((parse, cancellationToken) => PhotoSearchBenchmark.RunAsync(
            new PhotoSearchSettings(parse.GetValue(set), parse.GetValue(queries), parse.GetValue(warmUp), parse.GetValue(seed), parse.GetValue(model),
                parse.GetRequiredValue(baseline), [.. parse.GetRequiredValue(localise).Select(value => value.Trim().ToLowerInvariant())], parse.GetValue(k),
                parse.GetValue(shards), parse.GetValue(parallel), TimeSpan.FromSeconds(parse.GetValue(timeLimit))),
            new Report(Console.Out), cancellationToken));
        return command;
    }

    private static Command Memory()
    {
        var vectors = Positive(new Option<int>("--vectors") { Description = "Products in the catalog, one 512-d vector each.", DefaultValueFactory = _ => 1_000_000 });
        var shards = Positive(new Option<int>("--shards") { Description = "Shards of the catalog.", DefaultValueFactory = _ => 4 });
        var graphVectors = new Option<OutfitFinder.Core.Search.HnswVectors>("--graph-vectors")
        {
            Description = "The cluster's Search:GraphVectors: Float or Int8.", DefaultValueFactory = _ => OutfitFinder.Core.Search.HnswVectors.Int8,
        };
        var storage = new Option<ShardVectorStorage>("--vector-storage")
        {
            Description = "The cluster's Search:VectorStorage: Memory or MappedFile.", DefaultValueFactory = _ => ShardVectorStorage.MappedFile,
        };
        var queries = Positive(new Option<int>("--queries") { Description = "Queries whose recall and latency are measured afterwards.", DefaultValueFactory = _ => 200 });
        var k = Positive(new Option<int>("--k") { Description = "Results per query.", DefaultValueFactory = _ => 20 });
        var clusters = Positive(new Option<int>("--clusters") { Description = "Gaussian clusters the vectors gather around.", DefaultValueFactory = _ => 1000 });
        var seed = new Option<int>("--seed") { Description = "Seed of the vectors; queries use seed + 1.", DefaultValueFactory = _ => 42 };
        var timeLimit = Positive(new Option<int>("--time-limit") { Description = "Seconds after which the run stops with an error.", HelpName = "SECONDS", DefaultValueFactory = _ => 1800 });
        var index = new Option<ShardIndexKind>("--index")
        {
            Description = "The cluster's Search:Index: Auto (graphs built in the background from 20,000 vectors per shard) or Hnsw (from the first).",
            DefaultValueFactory = _ => ShardIndexKind.Auto,
        };
        index.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<ShardIndexKind>() == ShardIndexKind.Flat)
            {
                result.AddError("--index must be Auto or Hnsw: the benchmark measures shards that answer from graphs.");
            }
        });
        var limitMiB = new Option<int>("--limit-mib")
        {
            Description = "Then answer the queries again with the whole process under a cgroup memory limit of this many MiB (anonymous memory and page cache), so the kernel must evict mapped vectors; 0 for none. Skipped, with a line saying why, where cgroups are not writable.",
            HelpName = "MIB", DefaultValueFactory = _ => 0,
        };
        limitMiB.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError("--limit-mib must be 0 (none) or a positive number of MiB.");
            }
        });
        var preload = new Option<string[]>("--preload")
        {
            Description = "The silo's Extraction:Preload, e.g. --preload whitebox for a silo that holds vectors and no model weights; default: the silo's own default.",
            HelpName = "MODEL", AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("memory", "What the silo process holds for a loaded catalog whose shards answer from graphs, its peak, and the answers' recall.")
        {
            vectors, shards, graphVectors, storage, queries, k, clusters, seed, timeLimit, index, limitMiB, preload,
        };
        command.SetAction((parse, cancellationToken) => ShardMemoryBenchmark.RunAsync(
            new MemorySettings(parse.GetValue(vectors), parse.GetValue(shards), parse.GetValue(graphVectors), parse.GetValue(storage),
                parse.GetValue(queries), parse.GetValue(k), parse.GetValue(clusters), parse.GetValue(seed), TimeSpan.FromSeconds(parse.GetValue(timeLimit)),
                parse.GetValue(index), parse.GetValue(limitMiB), parse.GetValue(preload) is { Length: > 0 } models ? models : null),
            new Report(Console.Out), cancellationToken));
        return command;
    }

    private static Command ClusterFailure()
    {
        var events = new Option<Cluster.ClusterEvent[]>("--event")
        {
            Description = "Events to measure, one cluster each: Kill (kill -9), Term (SIGTERM), Join, Restart (every silo in turn).", AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [Cluster.ClusterEvent.Kill, Cluster.ClusterEvent.Term, Cluster.ClusterEvent.Join],
        };
        var silos = Positive(new Option<int>("--silos") { Description = "Silos during the load (a join starts with one fewer).", DefaultValueFactory = _ => 3 });
        var shards = Positive(new Option<int>("--shards") { Description = "Shards of the catalog.", DefaultValueFactory = _ => 8 });
        var products = Positive(new Option<int>("--products") { Description = "Products written before the load.", DefaultValueFactory = _ => 400 });
        var loops = Positive(new Option<int>("--search-loops") { Description = "Search loops, each one request at a time.", DefaultValueFactory = _ => 4 });
        var before = Positive(new Option<int>("--before") { Description = "Seconds of load before the event.", HelpName = "SECONDS", DefaultValueFactory = _ => 15 });
        var after = Positive(new Option<int>("--after") { Description = "Seconds of load after the event.", HelpName = "SECONDS", DefaultValueFactory = _ => 45 });
        var replicas = new Option<int[]>("--replicas")
        {
            Description = "The catalog's replicas, 1-8; each count runs every event, e.g. --replicas 1 2.", HelpName = "R",
            AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [1],
        };
        replicas.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int[]>() is { } counts && counts.Any(count => count is < 1 or > 8))
            {
                result.AddError("--replicas takes counts between 1 and 8.");
            }
        });
        silos.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 2)
            {
                result.AddError("--silos must be at least 2: one must survive the event.");
            }
        });
        var command = new Command("cluster", "Search and write load on a cluster of real processes (scripts/cluster.sh) while a silo is killed, stopped or added.")
        {
            events, silos, shards, products, loops, before, after, replicas,
        };
        command.SetAction((parse, cancellationToken) => Cluster.ClusterFailureBenchmark.RunAsync(
            new Cluster.ClusterFailureSettings(parse.GetRequiredValue(events), parse.GetValue(silos), parse.GetValue(shards), parse.GetValue(products),
                parse.GetValue(loops), TimeSpan.FromSeconds(parse.GetValue(before)), TimeSpan.FromSeconds(parse.GetValue(after)), parse.GetRequiredValue(replicas)),
            new Report(Console.Out), cancellationToken));
        return command;
    }

    private static Command Capacity()
    {
        var clusterSizes = new Option<int[]>("--silos")
        {
            Description = "Cluster sizes to load the catalog into, one cluster each.", HelpName = "N", AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [1, 3],
        };
        AllPositive(clusterSizes);
        var heap = Positive(new Option<int>("--heap-limit") { Description = "Every silo's managed heap cap, in MiB.", HelpName = "MIB", DefaultValueFactory = _ => 192 });
        var products = Positive(new Option<int>("--products") { Description = "Products in the catalog, one 1,860-float vector each.", DefaultValueFactory = _ => 20_000 });
        var shards = Positive(new Option<int>("--shards") { Description = "Shards of the catalog.", DefaultValueFactory = _ => 12 });
        var queries = Positive(new Option<int>("--queries") { Description = "Searches whose recall@10 is checked on every cluster that held the whole catalog.", DefaultValueFactory = _ => 50 });
        var limit = Positive(new Option<int>("--job-limit") { Description = "Seconds an ingestion job may run.", HelpName = "SECONDS", DefaultValueFactory = _ => 900 });
        var command = new Command("capacity", "One catalog ingested into one silo and into three, every silo's managed heap capped: what each held, and recall across three.")
        {
            clusterSizes, heap, products, shards, queries, limit,
        };
        command.SetAction((parse, cancellationToken) => Cluster.CapacityBenchmark.RunAsync(
            new Cluster.CapacitySettings(parse.GetRequiredValue(clusterSizes), parse.GetValue(heap), parse.GetValue(products), parse.GetValue(shards), parse.GetValue(queries),
                TimeSpan.FromSeconds(parse.GetValue(limit))),
            new Report(Console.Out), cancellationToken));
        return command;
    }

    private static Command ExtractionSpread()
    {
        var gpus = new Option<int[]>("--gpu-silos")
        {
            Description = "How many silos are told they have a GPU, one cluster each, e.g. --gpu-silos 1 2.", HelpName = "N",
            AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [1, 2],
        };
        var silos = Positive(new Option<int>("--silos") { Description = "Silos in the cluster.", DefaultValueFactory = _ => 3 });
        var photos = Positive(new Option<int>("--photos") { Description = "Photos in the ingestion job.", DefaultValueFactory = _ => 200 });
        var folder = new Option<DirectoryInfo>("--photo-folder") { Description = $"Folder of JPEG photos. Default: {BenchPhotos.DefaultFolder} beside the repository root.", HelpName = "DIR" }
            .AcceptExistingOnly();
        var limit = Positive(new Option<int>("--job-limit") { Description = "Seconds the job may run.", HelpName = "SECONDS", DefaultValueFactory = _ => 600 });
        AllPositive(gpus);
        var command = new Command("extraction", "An ingestion job's images/s and its split over the silos with one and with two silos told they have a GPU.")
        {
            gpus, silos, photos, folder, limit,
        };
        command.SetAction((parse, cancellationToken) => Cluster.ExtractionSpreadBenchmark.RunAsync(
            new Cluster.ExtractionSpreadSettings(parse.GetRequiredValue(gpus), parse.GetValue(silos), parse.GetValue(photos), parse.GetValue(folder),
                TimeSpan.FromSeconds(parse.GetValue(limit))),
            new Report(Console.Out), cancellationToken));
        return command;
    }

    private static Option<int> Positive(Option<int> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError($"{option.Name} must be at least 1.");
            }
        });
        return option;
    }

    private static void NotNegative(Option<int> option) => option.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<int>() < 0)
        {
            result.AddError($"{option.Name} must be 0 or more.");
        }
    });

    private static void AllPositive(Option<int[]> option) => option.Validators.Add(result =>
    {
        var values = result.GetValueOrDefault<int[]>();
        if (values is null || values.Length == 0 || values.Any(value => value < 1))
        {
            result.AddError($"{option.Name} needs one or more values, each at least 1.");
        }
    });
}
