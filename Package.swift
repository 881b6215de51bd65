// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "xcserver",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "xcserver", targets: ["XCServer"]),
        .executable(name: "xcserver-bench", targets: ["Bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        /// Domain types, XC wire types, the SQLite store and its migrations.
        .target(
            name: "XCModels",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the list rows read as bytes (LiveListRowView).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// The upstream XC client and the catalog importer.
        .target(
            name: "Sync",
            dependencies: [
                "XCModels",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// The provider `xcserver demo` syncs from, linked into `xcserver`: a real XC panel on loopback
        /// (`player_api.php`, Range media, live TS and HLS, a guide) serving `fixtures/`, compiled in.
        /// Test behaviour reaches it only through `ProviderBackend` hooks (docs/providers.md).
        .target(
            name: "DemoProvider",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // `fixtures/` (catalogs and the demo's playable media) compiled into the binary through symlinks,
            // so `xcserver demo` needs no checkout (see EmbeddedFixtures.swift).
            resources: [.embedInCode("Embedded")]
        ),
        /// The test fixture provider (tests and `xcserver-bench` only, never in `xcserver`): DemoProvider's
        /// panel plus faults, counters, generated catalogs and media, socket limits, live drops and stalls.
        .target(
            name: "FixtureProvider",
            dependencies: [
                "DemoProvider",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// HTTP routes, the connection-slot core, the streaming proxy, the admin API, sync jobs and metrics:
        /// everything the server does, as a library the CLI wires up and the tests import.
        .target(
            name: "XCServerKit",
            dependencies: [
                "XCModels",
                "Sync",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // The admin API's OpenAPI document and the web page's files, compiled into the binary: served at
            // /api/openapi.json and /admin with no resource bundle to lose when the executable is copied elsewhere.
            resources: [.embedInCode("Admin/openapi.json"), .embedInCode("Web/Assets")]
        ),
        /// `xcserver`, the binary users install: argument parsing and wiring only; no test doubles
        /// (InstalledBinaryTests).
        .executableTarget(
            name: "XCServer",
            dependencies: [
                "XCServerKit",
                "XCModels",
                "Sync",
                "DemoProvider",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        /// `xcserver-bench`: the benchmark, on generated catalogs from the fixture provider. It runs the
        /// `xcserver` built beside it as child processes (`sync`, `serve`).
        .executableTarget(
            name: "Bench",
            dependencies: [
                "XCServerKit",
                "XCModels",
                "Sync",
                "FixtureProvider",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "FixtureProviderTests",
            dependencies: [
                "FixtureProvider",
                "DemoProvider",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "XCServerTests",
            dependencies: [
                "XCServerKit",
                "XCModels",
                "Sync",
                "FixtureProvider",
                "DemoProvider",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Run by PyXtreamTests and AdminBrowserTests with python3, not compiled.
            exclude: ["Clients/pyxtream_client.py", "Web/admin_browser.py"]
        ),
    ]
)
