import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// CPU time of a process and of the machine, read from `/proc`: what the streaming figures divide by.
extension StreamBench {
    /// CPU seconds a process spent in user space and in the kernel.
    struct CPUTime {
        var user = 0.0
        var system = 0.0
        var total: Double { user + system }

        static func + (a: Self, b: Self) -> Self { Self(user: a.user + b.user, system: a.system + b.system) }
        static func - (a: Self, b: Self) -> Self { Self(user: a.user - b.user, system: a.system - b.system) }
    }

    /// The whole machine's CPU ticks, summed over its CPUs: busy ones and all of them.
    struct MachineTicks {
        var busy = 0.0
        var all = 0.0
        var busyFraction: Double { all > 0 ? busy / all : 0 }

        static func + (a: Self, b: Self) -> Self { Self(busy: a.busy + b.busy, all: a.all + b.all) }
        static func - (a: Self, b: Self) -> Self { Self(busy: a.busy - b.busy, all: a.all - b.all) }
    }

    /// CPU seconds a process has used so far, in user space and in the kernel, from `/proc/PID/stat`.
    static func cpuTime(pid: Int32) -> CPUTime {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return CPUTime() }
        // Fields after "(comm)": state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return CPUTime() }
        let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
        return CPUTime(user: user / tick, system: system / tick)
    }

    /// The machine's ticks so far, from the `cpu` line of `/proc/stat` (idle and iowait are not busy).
    static func machineTicks() -> MachineTicks {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return MachineTicks() }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 5 else { return MachineTicks() }
        let all = ticks.reduce(0, +)
        return MachineTicks(busy: all - ticks[3] - ticks[4], all: all)
    }
}
