using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace OutfitFinder.Core.Extraction;

/// <summary>
/// The edits we make to ONNX model files, on their protobuf bytes: make the batch dimension
/// symbolic, expose an inner tensor as an output, read the nodes, and read or replace float
/// initializers.
/// </summary>
/// <remarks>
/// Hand-written because the edits touch six message types and a dozen field numbers of
/// <c>onnx.proto</c>: Google.Protobuf alone cannot read ONNX without classes generated from that
/// schema (a protoc step in the build), and a package that ships such classes would be a new
/// dependency for ~200 lines. Unknown fields are copied byte for byte, so weights and metadata are
/// untouched. Field numbers are those of onnx.proto (ModelProto.graph = 7, GraphProto.node = 1,
/// …) and are stable across ONNX versions.
/// </remarks>
internal static class OnnxModelProto
{
    /// <summary>Name given to the batch dimension by <see cref="WithSymbolicBatch"/>.</summary>
    public const string BatchDimension = "batch";

    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLength = 2;
    private const int WireFixed32 = 5;

    // ModelProto
    private const int ModelGraph = 7;
    // GraphProto
    private const int GraphNode = 1;
    private const int GraphInitializer = 5;
    private const int GraphInput = 11;
    private const int GraphOutput = 12;
    private const int GraphValueInfo = 13;
    // NodeProto
    private const int NodeInput = 1;
    private const int NodeName = 3;
    private const int NodeOutput = 2;
    private const int NodeOpType = 4;
    private const int NodeAttribute = 5;
    // AttributeProto
    private const int AttributeName = 1;
    private const int AttributeFloat = 2;
    private const int AttributeInt = 3;
    private const int AttributeInts = 8;
    // TensorProto
    private const int TensorDims = 1;
    private const int TensorDataType = 2;
    private const int TensorFloatData = 4;
    private const int TensorInt64Data = 7;
    private const int TensorName = 8;
    private const int TensorRawData = 9;
    private const int TensorDataLocation = 14;
    private const int DataTypeFloat = 1;
    private const int DataTypeInt64 = 7;
    // ValueInfoProto.name and .type, TypeProto.tensor_type, TypeProto.Tensor.shape, TensorShapeProto.dim
    private const int ValueInfoName = 1;
    private const int ValueInfoType = 2;
    private const int TypeTensor = 1;
    private const int TensorTypeShape = 2;
    private const int ShapeDim = 1;
    // TensorShapeProto.Dimension
    private const int DimValue = 1;
    private const int DimParam = 2;

    /// <summary>
    /// Returns a copy of <paramref name="model"/> that accepts any batch size: every graph input,
    /// output and value_info whose first dimension is the fixed value 1 gets the symbolic dimension
    /// <see cref="BatchDimension"/> instead, and every <c>Reshape</c> whose target shape is an
    /// initializer starting with 1 gets 0 there ("copy from the input"), so it follows the batch.
    /// Graph inputs that are initializers (IR version 3 lists weights as inputs) are left alone.
    /// </summary>
    /// <remarks>
    /// Batch-agnostic nodes (Conv, pooling, Flatten with axis 1, broadcasting element-wise ops) need
    /// nothing. A Reshape whose target comes from a Constant node or is computed is left as it is:
    /// computed shapes already follow the batch, and a Constant with a hard-coded 1 fails loudly in
    /// ONNX Runtime at the first batch larger than one.
    /// </remarks>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model with a graph.</exception>
    public static byte[] WithSymbolicBatch(ReadOnlySpan<byte> model)
    {
        var graph = FindGraph(model);
        var initializers = new HashSet<string>(StringComparer.Ordinal);
        var reshapeTargets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in new FieldReader(graph))
        {
            if (field.Number == GraphInitializer)
            {
                initializers.Add(ReadString(field.Payload, TensorName));
            }
            else if (field.Number == GraphNode && ReadString(field.Payload, NodeOpType) == "Reshape")
            {
                var inputs = ReadStrings(field.Payload, NodeInput);
                if (inputs.Count > 1)
                {
                    reshapeTargets.Add(inputs[1]);
                }
            }
        }

        var newGraph = new ArrayBufferWriter<byte>(graph.Length + 1024);
        foreach (var field in new FieldReader(graph))
        {
            switch (field.Number)
            {
                case GraphInput when !initializers.Contains(ReadString(field.Payload, ValueInfoName)):
                case GraphOutput:
                case GraphValueInfo:
                    WriteMessage(newGraph, field.Number, RewriteValueInfo(field.Payload));
                    break;
                case GraphInitializer when reshapeTargets.Contains(ReadString(field.Payload, TensorName)):
                    WriteMessage(newGraph, field.Number, RewriteReshapeTarget(field.Payload));
                    break;
                default:
                    newGraph.Write(field.Raw);
                    break;
            }
        }

        var result = new ArrayBufferWriter<byte>(model.Length + 1024);
        foreach (var field in new FieldReader(model))
        {
            if (field.Number == ModelGraph && field.WireType == WireLength)
            {
                WriteMessage(result, ModelGraph, newGraph.WrittenSpan);
            }
            else
            {
                result.Write(field.Raw);
            }
        }

        return result.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Returns a copy of <paramref name="model"/> with one more graph output: the first input of the
    /// last node whose op type is <paramref name="opType"/> (for ResNet18, the last convolutional
    /// block's [N,512,7,7] activations that the final <c>AveragePool</c> reduces). The output's type
    /// and shape are copied from the graph's <c>value_info</c> for that tensor when it has one.
    /// Nothing else changes, so the existing outputs stay the same numbers.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model with a graph, or no node has that op type.</exception>
    public static (byte[] Model, string OutputName) WithInputOfLastNodeAsOutput(ReadOnlySpan<byte> model, string opType)
    {
        string? tensor = null;
        foreach (var node in ReadNodes(model))
        {
            if (node.OpType == opType && node.Inputs.Count > 0)
            {
                tensor = node.Inputs[0];
            }
        }

        if (tensor is null)
        {
            throw new InvalidDataException($"The ONNX graph has no {opType} node whose input could become an output.");
        }

        return (WithTensorAsOutput(model, tensor), tensor);
    }

    /// <summary>
    /// Returns a copy of <paramref name="model"/> with one more graph output, the inner tensor
    /// <paramref name="tensor"/> (for example the input of ResNet18's last residual block, which
    /// <c>outfit-finetune</c> caches). Its type and shape are copied from the graph's
    /// <c>value_info</c> when it has one. Nothing else changes.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model with a graph.</exception>
    public static byte[] WithTensorAsOutput(ReadOnlySpan<byte> model, string tensor)
    {
        var graph = FindGraph(model);
        byte[]? valueInfo = null;
        foreach (var field in new FieldReader(graph))
        {
            if (field.Number == GraphValueInfo && ReadString(field.Payload, ValueInfoName) == tensor)
            {
                valueInfo = field.Payload.ToArray();
            }
        }

        if (valueInfo is null)
        {
            var named = new ArrayBufferWriter<byte>();
            WriteMessage(named, ValueInfoName, Encoding.UTF8.GetBytes(tensor));
            valueInfo = named.WrittenSpan.ToArray();
        }

        var newGraph = new ArrayBufferWriter<byte>(graph.Length + valueInfo.Length + 16);
        newGraph.Write(graph);
        WriteMessage(newGraph, GraphOutput, valueInfo);
        return WithGraph(model, newGraph.WrittenSpan);
    }

    /// <summary>
    /// The graph's nodes in file order (which ONNX requires to be a topological order): op type,
    /// input and output tensor names, and the integer and float attributes (a single value reads
    /// as a one-element array).
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model with a graph.</exception>
    public static IReadOnlyList<OnnxNode> ReadNodes(ReadOnlySpan<byte> model)
    {
        var nodes = new List<OnnxNode>();
        foreach (var field in new FieldReader(FindGraph(model)))
        {
            if (field.Number != GraphNode || field.WireType != WireLength)
            {
                continue;
            }

            var ints = new Dictionary<string, long[]>(StringComparer.Ordinal);
            var floats = new Dictionary<string, float>(StringComparer.Ordinal);
            foreach (var part in new FieldReader(field.Payload))
            {
                if (part.Number != NodeAttribute || part.WireType != WireLength)
                {
                    continue;
                }

                var name = ReadString(part.Payload, AttributeName);
                var values = ReadInt64s(part.Payload, AttributeInts);
                if (values.Count == 0)
                {
                    values = ReadInt64s(part.Payload, AttributeInt);
                }

                if (values.Count > 0)
                {
                    ints[name] = [.. values];
                }

                foreach (var value in new FieldReader(part.Payload))
                {
                    if (value.Number == AttributeFloat && value.WireType == WireFixed32)
                    {
                        floats[name] = BinaryPrimitives.ReadSingleLittleEndian(value.Raw[^4..]);
                    }
                }
            }

            nodes.Add(new OnnxNode(
                ReadString(field.Payload, NodeOpType), ReadStrings(field.Payload, NodeInput), ReadStrings(field.Payload, NodeOutput), ints, floats));
        }

        return nodes;
    }

    /// <summary>
    /// Returns a copy of <paramref name="model"/> in which each float initializer named in
    /// <paramref name="values"/> holds those values (as raw little-endian data); its name, type
    /// and dimensions stay. Everything else is copied byte for byte. This is how weights trained
    /// outside ONNX Runtime go back into the graph that serves them.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// An initializer is missing, is not float, keeps its data outside the file, or has a different element count.
    /// </exception>
    public static byte[] WithFloatInitializers(ReadOnlySpan<byte> model, IReadOnlyDictionary<string, float[]> values)
    {
        var graph = FindGraph(model);
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        var newGraph = new ArrayBufferWriter<byte>(graph.Length + 1024);
        foreach (var field in new FieldReader(graph))
        {
            string? name = field.Number == GraphInitializer && field.WireType == WireLength ? ReadString(field.Payload, TensorName) : null;
            if (name is null || !values.TryGetValue(name, out var data))
            {
                newGraph.Write(field.Raw);
                continue;
            }

            var tensor = field.Payload;
            if (ReadVarint(tensor, TensorDataType) != DataTypeFloat || ReadVarint(tensor, TensorDataLocation) != 0)
            {
                throw new InvalidDataException($"Initializer '{name}' is not a float tensor stored in the model file.");
            }

            var dims = ReadInt64s(tensor, TensorDims);
            var count = dims.Aggregate(1L, (a, b) => a * b);
            if (count != data.Length)
            {
                throw new InvalidDataException($"Initializer '{name}' has {count} values (shape [{string.Join(",", dims)}]), not {data.Length}.");
            }

            var newTensor = new ArrayBufferWriter<byte>(tensor.Length + 16);
            foreach (var part in new FieldReader(tensor))
            {
                if (part.Number is not (TensorRawData or TensorFloatData))
                {
                    newTensor.Write(part.Raw);
                }
            }

            WriteMessage(newTensor, TensorRawData, MemoryMarshal.AsBytes(data.AsSpan()));
            WriteMessage(newGraph, GraphInitializer, newTensor.WrittenSpan);
            replaced.Add(name);
        }

        var missing = values.Keys.Where(key => !replaced.Contains(key)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException($"The model has no initializer named {string.Join(", ", missing.Select(m => $"'{m}'"))}.");
        }

        return WithGraph(model, newGraph.WrittenSpan);
    }

    private static byte[] WithGraph(ReadOnlySpan<byte> model, ReadOnlySpan<byte> graph)
    {
        var result = new ArrayBufferWriter<byte>(model.Length + 1024);
        foreach (var field in new FieldReader(model))
        {
            if (field.Number == ModelGraph && field.WireType == WireLength)
            {
                WriteMessage(result, ModelGraph, graph);
            }
            else
            {
                result.Write(field.Raw);
            }
        }

        return result.WrittenSpan.ToArray();
    }

    /// <summary>Reads the float initializer <paramref name="name"/>: its dimensions and values.</summary>
    /// <exception cref="InvalidDataException">
    /// The model has no such initializer, it is not float, or its data is stored outside the file.
    /// </exception>
    public static (long[] Dimensions, float[] Values) ReadFloatInitializer(ReadOnlySpan<byte> model, string name)
    {
        foreach (var field in new FieldReader(FindGraph(model)))
        {
            if (field.Number != GraphInitializer || ReadString(field.Payload, TensorName) != name)
            {
                continue;
            }

            var tensor = field.Payload;
            if (ReadVarint(tensor, TensorDataType) != DataTypeFloat)
            {
                throw new InvalidDataException($"Initializer '{name}' is not a float tensor.");
            }

            if (ReadVarint(tensor, TensorDataLocation) != 0)
            {
                throw new InvalidDataException($"Initializer '{name}' keeps its data outside the model file.");
            }

            var dims = ReadInt64s(tensor, TensorDims).ToArray();
            var bytes = FindBytes(tensor, TensorRawData);
            if (bytes.IsEmpty)
            {
                bytes = FindBytes(tensor, TensorFloatData);
            }

            var count = dims.Aggregate(1L, (a, b) => a * b);
            if (bytes.Length != count * sizeof(float))
            {
                throw new InvalidDataException(
                    $"Initializer '{name}' holds {bytes.Length} bytes, expected {count * sizeof(float)} for shape [{string.Join(",", dims)}].");
            }

            var values = new float[count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * sizeof(float)));
            }

            return (dims, values);
        }

        throw new InvalidDataException($"The model has no initializer named '{name}'.");
    }

    /// <summary>
    /// The graph's real inputs (initializers listed as inputs left out) and its outputs, each with
    /// its tensor shape; a symbolic or unknown dimension reads as -1. Reads the protobuf only, so it
    /// costs a pass over the bytes, not a session.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model with a graph.</exception>
    public static (IReadOnlyList<OnnxTensorSignature> Inputs, IReadOnlyList<OnnxTensorSignature> Outputs) ReadSignature(ReadOnlySpan<byte> model)
    {
        var graph = FindGraph(model);
        var initializers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in new FieldReader(graph))
        {
            if (field.Number == GraphInitializer && field.WireType == WireLength)
            {
                initializers.Add(ReadString(field.Payload, TensorName));
            }
        }

        var inputs = new List<OnnxTensorSignature>();
        var outputs = new List<OnnxTensorSignature>();
        foreach (var field in new FieldReader(graph))
        {
            if (field.WireType != WireLength || field.Number is not (GraphInput or GraphOutput))
            {
                continue;
            }

            var name = ReadString(field.Payload, ValueInfoName);
            if (field.Number == GraphInput && initializers.Contains(name))
            {
                continue;
            }

            var shape = FindBytes(FindBytes(FindBytes(field.Payload, ValueInfoType), TypeTensor), TensorTypeShape);
            var dimensions = new List<long>();
            foreach (var dim in new FieldReader(shape))
            {
                if (dim.Number == ShapeDim && dim.WireType == WireLength)
                {
                    var value = ReadVarint(dim.Payload, DimValue);
                    dimensions.Add(value > 0 ? value : -1);
                }
            }

            (field.Number == GraphInput ? inputs : outputs).Add(new OnnxTensorSignature(name, [.. dimensions]));
        }

        return (inputs, outputs);
    }

    private static ReadOnlySpan<byte> FindGraph(ReadOnlySpan<byte> model)
    {
        var graph = FindBytes(model, ModelGraph);
        return graph.IsEmpty ? throw new InvalidDataException("The bytes are not an ONNX model: no graph found.") : graph;
    }

    private static byte[] RewriteValueInfo(ReadOnlySpan<byte> valueInfo) =>
        RewriteField(valueInfo, ValueInfoType, type =>
            RewriteField(type, TypeTensor, tensorType =>
                RewriteField(tensorType, TensorTypeShape, RewriteFirstDimension)));

    private static byte[] RewriteFirstDimension(ReadOnlySpan<byte> shape)
    {
        var writer = new ArrayBufferWriter<byte>(shape.Length + 16);
        var first = true;
        foreach (var field in new FieldReader(shape))
        {
            if (first && field.Number == ShapeDim)
            {
                first = false;
                if (field.Payload.Length > 0 && ReadVarint(field.Payload, DimValue) == 1)
                {
                    var dim = new ArrayBufferWriter<byte>();
                    WriteMessage(dim, DimParam, Encoding.UTF8.GetBytes(BatchDimension));
                    foreach (var part in new FieldReader(field.Payload))
                    {
                        if (part.Number is not (DimValue or DimParam))
                        {
                            dim.Write(part.Raw);
                        }
                    }

                    WriteMessage(writer, ShapeDim, dim.WrittenSpan);
                    continue;
                }
            }

            writer.Write(field.Raw);
        }

        return writer.WrittenSpan.ToArray();
    }

    private static byte[] RewriteReshapeTarget(ReadOnlySpan<byte> tensor)
    {
        if (ReadVarint(tensor, TensorDataType) != DataTypeInt64)
        {
            return tensor.ToArray();
        }

        // The target shape is stored either as raw little-endian bytes or as packed varints;
        // only its first element (the batch) changes, 1 -> 0.
        var writer = new ArrayBufferWriter<byte>(tensor.Length);
        var first = true;
        foreach (var field in new FieldReader(tensor))
        {
            var isData = field.WireType == WireLength && field.Number is TensorRawData or TensorInt64Data;
            if (first && isData && field.Number == TensorRawData && field.Payload.Length >= sizeof(long)
                && BinaryPrimitives.ReadInt64LittleEndian(field.Payload) == 1)
            {
                var data = field.Payload.ToArray();
                BinaryPrimitives.WriteInt64LittleEndian(data, 0);
                WriteMessage(writer, TensorRawData, data);
            }
            else if (first && isData && field.Number == TensorInt64Data && field.Payload.Length > 0 && field.Payload[0] == 1)
            {
                // A packed varint starting with byte 0x01 is the value 1 encoded in one byte.
                var data = field.Payload.ToArray();
                data[0] = 0;
                WriteMessage(writer, TensorInt64Data, data);
            }
            else
            {
                writer.Write(field.Raw);
            }

            first &= !isData;
        }

        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Copies <paramref name="message"/>, passing the first <paramref name="number"/> sub-message through <paramref name="rewrite"/>.</summary>
    private static byte[] RewriteField(ReadOnlySpan<byte> message, int number, RewriteFunc rewrite)
    {
        var writer = new ArrayBufferWriter<byte>(message.Length + 16);
        var done = false;
        foreach (var field in new FieldReader(message))
        {
            if (!done && field.Number == number && field.WireType == WireLength)
            {
                done = true;
                WriteMessage(writer, number, rewrite(field.Payload));
            }
            else
            {
                writer.Write(field.Raw);
            }
        }

        return writer.WrittenSpan.ToArray();
    }

    private delegate byte[] RewriteFunc(ReadOnlySpan<byte> payload);

    private static string ReadString(ReadOnlySpan<byte> message, int number) => Encoding.UTF8.GetString(FindBytes(message, number));

    private static List<string> ReadStrings(ReadOnlySpan<byte> message, int number)
    {
        var result = new List<string>();
        foreach (var field in new FieldReader(message))
        {
            if (field.Number == number && field.WireType == WireLength)
            {
                result.Add(Encoding.UTF8.GetString(field.Payload));
            }
        }

        return result;
    }

    private static ReadOnlySpan<byte> FindBytes(ReadOnlySpan<byte> message, int number)
    {
        foreach (var field in new FieldReader(message))
        {
            if (field.Number == number && field.WireType == WireLength)
            {
                return field.Payload;
            }
        }

        return default;
    }

    private static long ReadVarint(ReadOnlySpan<byte> message, int number)
    {
        foreach (var field in new FieldReader(message))
        {
            if (field.Number == number && field.WireType == WireVarint)
            {
                return (long)field.Varint;
            }
        }

        return 0;
    }

    private static List<long> ReadInt64s(ReadOnlySpan<byte> message, int number)
    {
        var result = new List<long>();
        foreach (var field in new FieldReader(message))
        {
            if (field.Number != number)
            {
                continue;
            }

            if (field.WireType == WireLength)
            {
                result.AddRange(ReadPackedVarints(field.Payload));
            }
            else if (field.WireType == WireVarint)
            {
                result.Add((long)field.Varint);
            }
        }

        return result;
    }

    private static List<long> ReadPackedVarints(ReadOnlySpan<byte> payload)
    {
        var result = new List<long>();
        var position = 0;
        while (position < payload.Length)
        {
            result.Add((long)ReadVarint(payload, ref position));
        }

        return result;
    }

    private static void WriteMessage(IBufferWriter<byte> writer, int number, ReadOnlySpan<byte> payload)
    {
        WriteVarint(writer, ((ulong)number << 3) | WireLength);
        WriteVarint(writer, (ulong)payload.Length);
        writer.Write(payload);
    }

    private static void WriteVarint(IBufferWriter<byte> writer, ulong value)
    {
        Span<byte> buffer = stackalloc byte[10];
        var length = 0;
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            buffer[length++] = value == 0 ? b : (byte)(b | 0x80);
        }
        while (value != 0);

        writer.Write(buffer[..length]);
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int position)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                throw new InvalidDataException("Truncated protobuf varint in ONNX model.");
            }

            var b = data[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException("Malformed protobuf varint in ONNX model.");
    }

    /// <summary>One protobuf field: its number, wire type, the whole encoded field and its value.</summary>
    [StructLayout(LayoutKind.Auto)]
    private readonly ref struct Field(int number, int wireType, ReadOnlySpan<byte> raw, ReadOnlySpan<byte> payload, ulong varint)
    {
        public int Number { get; } = number;
        public int WireType { get; } = wireType;
        /// <summary>Key and value as encoded, for copying the field unchanged.</summary>
        public ReadOnlySpan<byte> Raw { get; } = raw;
        /// <summary>Content of a length-delimited field.</summary>
        public ReadOnlySpan<byte> Payload { get; } = payload;
        /// <summary>Value of a varint field.</summary>
        public ulong Varint { get; } = varint;
    }

    /// <summary>Enumerates the fields of one protobuf message without allocating.</summary>
    private ref struct FieldReader(ReadOnlySpan<byte> message)
    {
        private readonly ReadOnlySpan<byte> _message = message;
        private int _position;
        private Field _current;

        public readonly FieldReader GetEnumerator() => this;

        public readonly Field Current => _current;

        public bool MoveNext()
        {
            if (_position >= _message.Length)
            {
                return false;
            }

            var start = _position;
            var key = ReadVarint(_message, ref _position);
            var number = (int)(key >> 3);
            var wireType = (int)(key & 7);
            ReadOnlySpan<byte> payload = default;
            ulong varint = 0;
            switch (wireType)
            {
                case WireVarint:
                    varint = ReadVarint(_message, ref _position);
                    break;
                case WireFixed64:
                    Skip(8);
                    break;
                case WireLength:
                    var length = ReadVarint(_message, ref _position);
                    if (length > (ulong)(_message.Length - _position))
                    {
                        throw new InvalidDataException("Truncated protobuf field in ONNX model.");
                    }

                    payload = _message.Slice(_position, (int)length);
                    _position += (int)length;
                    break;
                case WireFixed32:
                    Skip(4);
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {wireType} in ONNX model.");
            }

            _current = new Field(number, wireType, _message[start.._position], payload, varint);
            return true;
        }

        private void Skip(int count)
        {
            if (_position + count > _message.Length)
            {
                throw new InvalidDataException("Truncated protobuf field in ONNX model.");
            }

            _position += count;
        }
    }
}

/// <summary>A graph input or output: its name and shape, -1 where a dimension is symbolic or unknown.</summary>
internal sealed record OnnxTensorSignature(string Name, long[] Dimensions)
{
    /// <summary>Shape as ONNX tools print it, e.g. <c>[N,3,224,224]</c>.</summary>
    public override string ToString() => $"{Name} [{string.Join(",", Dimensions.Select(d => d < 0 ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}

/// <summary>One graph node: its op type, input and output tensor names, and its integer and float attributes.</summary>
internal sealed record OnnxNode(
    string OpType,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, long[]> IntAttributes,
    IReadOnlyDictionary<string, float> FloatAttributes);
