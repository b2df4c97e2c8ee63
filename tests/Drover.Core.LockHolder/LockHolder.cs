using Drover.Core.Hosting;

namespace Drover.Core.LockHolder;

/// <summary>Locks the data directory given as its argument, prints "locked", and holds the lock until stdin closes (or it is killed).</summary>
public static class LockHolder
{
    public const string Ready = "locked";

    public static int Main(string[] args)
    {
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: Drover.Core.LockHolder <data directory>");
            return 2;
        }
        using var held = DataDirLock.Acquire(args[0]);
        Console.Out.WriteLine(Ready);
        Console.Out.Flush();
        // block until the parent closes our stdin (or dies); the test ends us with SIGKILL before that
        Console.In.ReadToEnd();
        return 0;
    }
}
