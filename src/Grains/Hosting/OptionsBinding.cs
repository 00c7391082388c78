using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace OutfitFinder.Grains.Hosting;

/// <summary>
/// Binding that fails with a sentence naming the setting. The configuration binder's own error for
/// a misspelt choice ("Failed to convert configuration value at 'Storage:Kind' to type …") names
/// neither the accepted values nor how to fix it, and it is thrown before any validator runs.
/// </summary>
internal static class OptionsBinding
{
    /// <summary>Binds <paramref name="section"/> like <c>Bind</c>, after checking every enum setting names a member.</summary>
    public static OptionsBuilder<T> BindChecked<T>(this OptionsBuilder<T> builder, IConfigurationSection section)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Configure(options => section.BindChecked(options));
    }

    /// <summary>
    /// Reads and validates a section now, for settings that decide which services are registered
    /// (the cluster's provider, a silo's advertised GPU) and so cannot wait for <c>ValidateOnStart</c>.
    /// </summary>
    /// <exception cref="OptionsValidationException">A setting is invalid; the message names it.</exception>
    public static T GetValidated<T>(this IConfigurationSection section, IValidateOptions<T> validator)
        where T : class, new()
    {
        var options = new T();
        section.BindChecked(options);
        var result = validator.Validate(Options.DefaultName, options);
        return result.Failed
            ? throw new OptionsValidationException(Options.DefaultName, typeof(T), result.Failures)
            : options;
    }

    /// <summary>The members of an enum as a sentence ends them: "Auto, Cuda or Cpu".</summary>
    public static string Names<TEnum>() where TEnum : struct, Enum => Names(typeof(TEnum));

    private static void BindChecked<T>(this IConfigurationSection section, T options)
        where T : class
    {
        var failures = new List<string>();
        foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var value = section[property.Name];
            if (type.IsEnum && !string.IsNullOrWhiteSpace(value) && !Enum.TryParse(type, value, ignoreCase: true, out _))
            {
                failures.Add($"{section.Path}:{property.Name} is '{value}'; use {Names(type)}.");
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(T), failures);
        }

        section.Bind(options);
    }

    private static string Names(Type type)
    {
        var names = Enum.GetNames(type);
        return names.Length == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
    }
}

/// <summary>
/// Prefixes the failures of a validator that names only the property ("MaxBatchSize must be 1
/// or more") with the section it was bound from, so the sentence names the setting to change
/// ("Extraction:Batching:MaxBatchSize …"). Core's validators do not know where the host binds them.
/// </summary>
internal sealed class SectionValidator<T>(IValidateOptions<T> inner, string section) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var result = inner.Validate(name, options);
        return result.Failed
            ? ValidateOptionsResult.Fail(result.Failures.Select(failure => $"{section}:{failure}"))
            : result;
    }
}
