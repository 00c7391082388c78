using System.CommandLine;
using OutfitFinder.Core.Extraction;
using OutfitFinder.Core.Localisation;
using OutfitFinder.FineTune;

var pairs = new Option<FileInfo>("--pairs") { Description = "Training pairs (product_id,category,shop_image,consumer_image), e.g. train_pairs.csv of outfit pairs.", Required = true, HelpName = "CSV" };
var validation = new Option<FileInfo>("--validation") { Description = "Validation pairs for early stopping, e.g. val_pairs.csv (outfit pairs --validation-fraction).", Required = true, HelpName = "CSV" };
var output = new Option<DirectoryInfo>("--out") { Description = "Model folder to write (ResNet18Onnx/ResNet18.onnx with the trained weights, ResNetPrepOnnx/, finetune.json).", Required = true, HelpName = "DIR" };
var cache = new Option<DirectoryInfo>("--cache") { Description = "Folder for the cached block inputs (fp16), reused by later runs on the same pictures.", HelpName = "DIR", DefaultValueFactory = _ => new DirectoryInfo(".eval/finetune-cache") };
var maxProducts = new Option<int>("--max-products") { Description = "Train on at most this many products, drawn with --seed (0: all).", HelpName = "N", DefaultValueFactory = _ => 0 };
var crops = new Option<string>("--crops") { Description = "Crops of each consumer photo to train on, as the search localises: none (the whole photo) or fast (whole + 2×2 grid; the view is its crop nearest the shop photo).", HelpName = "none|fast", DefaultValueFactory = _ => "fast" };
var blocks = new Option<int>("--blocks") { Description = "How many of the last residual blocks to train (the rest stays frozen and is cached).", HelpName = "N", DefaultValueFactory = _ => 1 };
var epochs = new Option<int>("--epochs") { Description = "Most epochs to train.", HelpName = "N", DefaultValueFactory = _ => 8 };
var patience = new Option<int>("--patience") { Description = "Stop after this many epochs without a better validation MRR@20.", HelpName = "N", DefaultValueFactory = _ => 2 };
var batch = new Option<int>("--batch") { Description = "Products per batch; the other products of a batch are each view's negatives.", HelpName = "N", DefaultValueFactory = _ => 48 };
var learningRate = new Option<double>("--learning-rate") { Description = "Adam step size.", HelpName = "LR", DefaultValueFactory = _ => 1e-4 };
var weightDecay = new Option<double>("--weight-decay") { Description = "Adam weight decay.", HelpName = "W", DefaultValueFactory = _ => 1e-4 };
var temperature = new Option<double>("--temperature") { Description = "InfoNCE temperature on cosine similarities.", HelpName = "T", DefaultValueFactory = _ => 0.05 };
var seed = new Option<int>("--seed") { Description = "Seeds the product draw, the batches and the views.", HelpName = "S", DefaultValueFactory = _ => 1 };
var models = new Option<DirectoryInfo?>("--models") { Description = "Folder of the ResNet18 to start from (default: the packaged one).", HelpName = "DIR" };

var root = new RootCommand(
    "outfit-finetune: fine-tune the last residual block(s) of the shipped ResNet18 on consumer/shop pairs with TorchSharp "
    + "(InfoNCE on R-MAC vectors, early stopping on validation pairs) and write the weights back into the ONNX graph.")
{
    pairs, validation, output, cache, maxProducts, crops, blocks, epochs, patience, batch, learningRate, weightDecay, temperature, seed, models,
};
root.SetAction((parseResult, cancellationToken) =>
{
    if (!QueryRegions.TryParse(parseResult.GetValue(crops), out var mode, out var error) || mode == LocalisationMode.Thorough)
    {
        Console.Error.WriteLine(error ?? "--crops must be none or fast.");
        return Task.FromResult(2);
    }

    var options = new FineTuneOptions(
        parseResult.GetRequiredValue(pairs).FullName,
        parseResult.GetRequiredValue(validation).FullName,
        parseResult.GetRequiredValue(output).FullName,
        parseResult.GetRequiredValue(cache).FullName,
        parseResult.GetValue(maxProducts),
        mode,
        parseResult.GetValue(blocks),
        new FineTuneSettings(
            parseResult.GetValue(epochs),
            parseResult.GetValue(patience),
            parseResult.GetValue(batch),
            parseResult.GetValue(learningRate),
            parseResult.GetValue(weightDecay),
            parseResult.GetValue(temperature),
            parseResult.GetValue(seed)),
        parseResult.GetValue(models) is { } folder ? new OnnxEmbedderOptions { ModelDirectory = folder.FullName } : new OnnxEmbedderOptions());
    try
    {
        var result = FineTuneRun.Run(options, line => Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {line}"), cancellationToken);
        Console.WriteLine($"best epoch {result.Best.Epoch}: validation top-1 {result.Best.Top1:P1}, top-20 {result.Best.Top20:P1}, MRR@20 {result.Best.Mrr:F3}; model folder {result.ModelDirectory}");
        return Task.FromResult(0);
    }
    catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine(ex.Message);
        return Task.FromResult(1);
    }
});
return await root.Parse(args).InvokeAsync();
