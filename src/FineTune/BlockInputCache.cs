using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Images;
using OutfitFinder.Core.Localisation;
using SkiaSharp;

namespace OutfitFinder.FineTune;

/// <summary>One picture to cache: a photo, whole (crop 0) or one crop of its thorough localisation plan.</summary>
internal readonly record struct ImageJob(string Path, int Crop);

/// <summary>
/// The input of the first trained block for many pictures, computed once by ONNX Runtime on the
/// shipped graph (everything before that block is frozen) and kept as fp16 in memory and on disk.
/// Training then runs only the last blocks, on these maps: for the last block of ResNet18 that is
/// about an eighth of the network's work per picture, and no photo is decoded twice.
/// </summary>
internal sealed class BlockInputCache
{
    private const int BatchSize = 16;
    private const string Magic = "OFBLKIN1";

    private BlockInputCache(Half[] values, int count, int[] shape)
    {
        Values = values;
        Count = count;
        Shape = shape;
    }

    /// <summary>All maps, one after another, each <see cref="Length"/> values.</summary>
    public Half[] Values { get; }

    /// <summary>Number of maps.</summary>
    public int Count { get; }

    /// <summary>One map's shape: channels, height, width.</summary>
    public int[] Shape { get; }

    /// <summary>Values per map.</summary>
    public int Length => Shape[0] * Shape[1] * Shape[2];

    /// <summary>
    /// Loads the maps of <paramref name="jobs"/> from <paramref name="file"/> when it holds exactly
    /// those (same jobs, same tensor), otherwise computes them and writes the file.
    /// </summary>
    public static BlockInputCache LoadOrCompute(
        string file, IReadOnlyList<ImageJob> jobs, string tensorName, OnnxEmbedderOptions options, Action<int, int> progress)
    {
        var key = Key(jobs, tensorName);
        if (TryLoad(file, key, jobs.Count) is { } cached)
        {
            progress(jobs.Count, jobs.Count);
            return cached;
        }

        var computed = Compute(jobs, tensorName, options, progress);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        using (var stream = File.Create(file))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Encoding.ASCII.GetBytes(Magic));
            writer.Write(key);
            writer.Write(computed.Count);
            foreach (var dimension in computed.Shape)
            {
                writer.Write(dimension);
            }

            writer.Write(MemoryMarshal.AsBytes(computed.Values.AsSpan()));
        }

        return computed;
    }

    /// <summary>Runs ONNX Runtime over <paramref name="jobs"/> and keeps <paramref name="tensorName"/> of each, as fp16.</summary>
    public static BlockInputCache Compute(IReadOnlyList<ImageJob> jobs, string tensorName, OnnxEmbedderOptions options, Action<int, int> progress)
    {
        using var preprocessor = ResNet18Embedder.Create(options, NullLogger<ResNet18Embedder>.Instance);
        var file = File.ReadAllBytes(Path.Combine(Path.GetFullPath(options.ModelDirectory, AppContext.BaseDirectory), ResNet18Embedder.ModelFile));
        var model = OnnxModelProto.WithSymbolicBatch(OnnxModelProto.WithTensorAsOutput(file, tensorName));
        var inputName = OnnxModelProto.ReadSignature(model).Inputs[0].Name;
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = options.IntraOpThreads };
        using var session = new InferenceSession(model, sessionOptions);

        Half[]? values = null;
        int[]? shape = null;
        var done = 0;
        foreach (var batch in jobs.Select((job, index) => (job, index)).Chunk(BatchSize))
        {
            var pictures = Pictures(batch.Select(b => b.job).ToList());
            try
            {
                var inputs = new float[pictures.Count * preprocessor.InputLength];
                Parallel.For(0, pictures.Count, i => preprocessor.Preprocess(pictures[i], inputs.AsSpan(i * preprocessor.InputLength, preprocessor.InputLength)));
                using var input = OrtValue.CreateTensorValueFromMemory(inputs, [pictures.Count, 3, ResNet18Embedder.InputSize, ResNet18Embedder.InputSize]);
                using var runOptions = new RunOptions();
                using var outputs = session.Run(runOptions, [inputName], [input], [tensorName]);
                var output = outputs[0];
                var dims = output.GetTensorTypeAndShape().Shape;
                if (shape is null)
                {
                    shape = [(int)dims[1], (int)dims[2], (int)dims[3]];
                    values = new Half[(long)jobs.Count * shape[0] * shape[1] * shape[2]];
                }

                var length = shape[0] * shape[1] * shape[2];
                var data = output.GetTensorDataAsSpan<float>();
                for (var i = 0; i < batch.Length; i++)
                {
                    var destination = values.AsSpan(batch[i].index * length, length);
                    var source = data.Slice(i * length, length);
                    for (var v = 0; v < length; v++)
                    {
                        destination[v] = (Half)source[v];
                    }
                }
            }
            finally
            {
                pictures.ForEach(p => p.Dispose());
            }

            done += batch.Length;
            progress(done, jobs.Count);
        }

        return new BlockInputCache(values ?? [], jobs.Count, shape ?? [0, 0, 0]);
    }

    /// <summary>Decodes each photo once and cuts the crops asked of it, in job order.</summary>
    public static List<SKBitmap> Pictures(IReadOnlyList<ImageJob> jobs)
    {
        var pictures = new SKBitmap[jobs.Count];
        Parallel.ForEach(jobs.Select((job, index) => (job, index)).GroupBy(j => j.job.Path), group =>
        {
            using var photo = ImageDecoder.Decode(File.ReadAllBytes(group.Key), ImageLimits.Default);
            var plan = QueryRegions.Plan(photo.Width, photo.Height, LocalisationMode.Thorough);
            foreach (var (job, index) in group)
            {
                pictures[index] = plan[job.Crop].Crop(photo);
            }
        });
        return [.. pictures];
    }

    private static BlockInputCache? TryLoad(string file, ulong key, int count)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        using var stream = File.OpenRead(file);
        using var reader = new BinaryReader(stream);
        if (Encoding.ASCII.GetString(reader.ReadBytes(Magic.Length)) != Magic || reader.ReadUInt64() != key || reader.ReadInt32() != count)
        {
            return null;
        }

        int[] shape = [reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32()];
        var values = new Half[(long)count * shape[0] * shape[1] * shape[2]];
        stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return new BlockInputCache(values, count, shape);
    }

    private static ulong Key(IReadOnlyList<ImageJob> jobs, string tensorName)
    {
        var hash = new XxHash64();
        hash.Append(Encoding.UTF8.GetBytes(tensorName));
        foreach (var job in jobs)
        {
            hash.Append(Encoding.UTF8.GetBytes($"{job.Path}|{job.Crop}\n"));
        }

        return hash.GetCurrentHashAsUInt64();
    }
}
