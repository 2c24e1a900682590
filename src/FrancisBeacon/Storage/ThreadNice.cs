// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Runtime.InteropServices;

namespace FrancisBeacon.Storage;

/// <summary>
/// The calling thread's scheduling priority: on Linux its nice value (a per-thread attribute there: <c>setpriority</c>
/// with <c>PRIO_PROCESS</c> and <c>who = 0</c> changes the calling thread only), elsewhere
/// <see cref="Thread.Priority"/> (which the runtime applies on Windows and ignores on Linux).
/// </summary>
/// <remarks>
/// A thread can always raise its own nice value; lowering it again needs <c>CAP_SYS_NICE</c> (or <c>RLIMIT_NICE</c>),
/// which a typical container does not have, so a thread lowered here stays lowered. Threads it creates inherit the
/// value: a lowered thread must not create thread-pool threads (see <see cref="HitStoreRollupWorker"/>).
/// </remarks>
internal static class ThreadNice
{
    private const int PrioProcess = 0;

    /// <summary>
    /// Lowers the calling thread's priority to <paramref name="nice"/> (1–19; 0 leaves it alone). Returns whether the
    /// OS took it; on platforms without nice values the thread's <see cref="Thread.Priority"/> is set instead.
    /// </summary>
    public static bool TryLowerCurrentThread(int nice)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nice);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nice, 19);
        if (nice == 0)
        {
            return true;
        }

        if (OperatingSystem.IsLinux())
        {
            try
            {
                return SetPriority(PrioProcess, 0, nice) == 0;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                return false;
            }
        }

        Thread.CurrentThread.Priority = nice >= 10 ? ThreadPriority.Lowest : ThreadPriority.BelowNormal;
        return true;
    }

    /// <summary>The calling thread's nice value on Linux (from <c>/proc/thread-self/stat</c>); <see langword="null"/> elsewhere.</summary>
    public static int? ReadCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            // The fields after the command name's closing parenthesis (the name may hold spaces): state is the first,
            // nice the 17th (field 19 of proc(5)).
            var stat = File.ReadAllText("/proc/thread-self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    // Blittable arguments only (no marshalling code): DllImport rather than LibraryImport, which would need unsafe code.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetPriority(int which, uint who, int prio);
#pragma warning restore SYSLIB1054
}
