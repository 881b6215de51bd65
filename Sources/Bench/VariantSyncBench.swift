import FixtureProvider
import Foundation
import XCModels

/// `xcserver-bench --variant-sync`: list sync (movies and series, no episodes) of the generated catalog
/// without and with variant copies (10 % of the films with a 4K copy, 3 % with a French one), both
/// arms interleaved in one run on fresh databases so the ratio holds on a busy machine.
struct VariantSyncBench {
    var movies: Int
    var series: Int
    var runs: Int
    var work: URL

    func run() async throws {
        let executable = try Bench.serverExecutable()
        var times: [Bool: [Double]] = [false: [], true: []]
        var cpu: [Bool: [Double]] = [false: [], true: []]
        for round in 0..<max(1, runs) {
            for variants in [false, true] {
                let catalog = FixtureCatalog.generated(movies: movies, series: series, episodesPerSeries: 0, seed: 7, variants: variants)
                let account = FixtureAccount(username: "bench", password: "bench", maxConnections: 4, catalog: catalog)
                let provider = try await FixtureProvider.start(accounts: [account])
                let dbPath = work.appendingPathComponent("variant-sync-\(round)-\(variants).sqlite").path
                let store = try Store(path: dbPath)
                try await store.addAccount(Account(name: "bench", baseURL: provider.baseURL, username: "bench", password: "bench",
                                                   maxConnections: 4))
                let sync = try await Bench.runChild(executable, ["sync", "--no-episodes", "--rate", "0", "--db", dbPath, "--log-level", "warning"])
                await provider.stop()
                times[variants]!.append(sync.seconds)
                cpu[variants]!.append(sync.cpuSeconds)
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbPath + suffix) }
            }
        }
        let plain = Self.median(times[false]!), withVariants = Self.median(times[true]!)
        let copies = (0..<movies).reduce(0) { $0 + GeneratedCatalogLayout(movies: movies, series: 0, episodesPerSeries: 0, seed: 7, variants: true).variantCopies(of: $1).count }
        print(String(format: "list sync, %d movies + %d series: %.2f s without variants, %.2f s with %d variant copies (median of %d, interleaved); ratio %.2f",
                     movies, series, plain, withVariants, copies, times[true]!.count, withVariants / plain))
        let plainCPU = Self.median(cpu[false]!), variantsCPU = Self.median(cpu[true]!)
        print(String(format: "  CPU time of the sync: %.2f s without variants, %.2f s with (ratio %.2f)",
                     plainCPU, variantsCPU, variantsCPU / plainCPU))
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
