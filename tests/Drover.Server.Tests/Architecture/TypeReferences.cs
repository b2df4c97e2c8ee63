using System.Reflection;
using System.Reflection.Emit;

namespace Drover.Server.Tests.Architecture;

/// <summary>
/// The types one type uses: in its base types and interfaces, fields, properties, method and constructor signatures,
/// attributes, and the members its method bodies call, read or name (read from the IL). Lambdas, closures and async
/// state machines are nested types, so they count for the type that wrote them.
/// </summary>
internal static class TypeReferences
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    public static IEnumerable<Type> Of(Type type)
    {
        var found = new List<Type>();
        if (type.BaseType is not null) found.Add(type.BaseType);
        found.AddRange(type.GetInterfaces());
        found.AddRange(AttributeTypes(type.CustomAttributes));
        foreach (var f in type.GetFields(Declared))
        {
            found.Add(f.FieldType);
            found.AddRange(AttributeTypes(f.CustomAttributes));
        }
        foreach (var p in type.GetProperties(Declared)) found.Add(p.PropertyType);
        foreach (var m in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (m is MethodInfo mi) found.Add(mi.ReturnType);
            found.AddRange(m.GetParameters().Select(p => p.ParameterType));
            found.AddRange(AttributeTypes(m.CustomAttributes));
            found.AddRange(BodyReferences(m));
        }
        return found.SelectMany(Flatten);
    }

    private static IEnumerable<Type> AttributeTypes(IEnumerable<CustomAttributeData> attributes)
    {
        foreach (var a in attributes)
        {
            yield return a.AttributeType;
            foreach (var arg in a.ConstructorArguments.Concat(a.NamedArguments.Select(n => n.TypedValue)))
            {
                if (arg.Value is Type t) yield return t; // typeof(...) in [JsonSerializable(typeof(X))]
            }
        }
    }

    /// <summary>The generic arguments, element types and declaring types inside a type, so List&lt;Foo&gt; counts as Foo.</summary>
    private static IEnumerable<Type> Flatten(Type t)
    {
        if (t.IsGenericParameter) yield break;
        if (t.HasElementType)
        {
            foreach (var e in Flatten(t.GetElementType()!)) yield return e;
            yield break;
        }
        yield return t;
        if (t.IsGenericType && !t.IsGenericTypeDefinition)
        {
            foreach (var a in t.GetGenericArguments().SelectMany(Flatten)) yield return a;
        }
    }

    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); }
        catch (BadImageFormatException) { il = null; }
        if (il is null) yield break;
        var module = method.Module;
        var typeArgs = method.DeclaringType is { IsGenericType: true } dt ? dt.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    var member = Resolve(module, BitConverter.ToInt32(il, i), typeArgs, methodArgs);
                    if (member is Type t) yield return t;
                    else if (member is not null)
                    {
                        if (member.DeclaringType is not null) yield return member.DeclaringType;
                        if (member is MethodInfo mi)
                        {
                            foreach (var g in mi.IsGenericMethod ? mi.GetGenericArguments() : []) yield return g;
                        }
                    }
                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + 4 * BitConverter.ToInt32(il, i);
                    break;
                default:
                    i += OperandSize(op.OperandType);
                    break;
            }
        }
    }

    private static MemberInfo? Resolve(Module module, int token, Type[]? typeArgs, Type[]? methodArgs)
    {
        try { return module.ResolveMember(token, typeArgs, methodArgs); }
        catch (ArgumentException) { return null; } // a token of a generic instantiation it cannot resolve out of context
    }

    private static int OperandSize(OperandType t) => t switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };
}
