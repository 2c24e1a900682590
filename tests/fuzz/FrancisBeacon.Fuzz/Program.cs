using FrancisBeacon.AspNetCore.Fuzz;
using SharpFuzz;

// The SharpFuzz harness for FrancisBeacon's request parsers; see tests/fuzz/README.md.
//   FrancisBeacon.Fuzz <target>           libFuzzer mode (run through libfuzzer-dotnet)
//   FrancisBeacon.Fuzz <target> --afl     AFL++ mode (run through afl-fuzz)
//   FrancisBeacon.Fuzz <target> <file>... runs the files once each (reproduces a crash)
if (args.Length == 0 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: FrancisBeacon.Fuzz <{string.Join('|', FuzzTargets.Names)}> [--afl | file...]");
    return 2;
}

var target = args[0];
if (args.Length > 1 && args[1] == "--afl")
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        FuzzTargets.Run(target, memory.ToArray());
    });
}
else if (args.Length > 1)
{
    foreach (var file in args.Skip(1))
    {
        FuzzTargets.Run(target, File.ReadAllBytes(file));
    }
}
else
{
    Fuzzer.LibFuzzer.Run(span => FuzzTargets.Run(target, span));
}

return 0;
