// swift-tools-version: 6.2
import PackageDescription

/// One strict settings list shared by every target.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "WorkFlow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "workflow", targets: ["workflow"]),
        .library(name: "WorkFlowEngine", targets: ["WorkFlowEngine"]),
        .library(name: "WorkFlowModules", targets: ["WorkFlowModules"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.0"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.9.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.9.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // common.Http and webhooks (one shared client), and the browser tests' WebDriver client.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.90.0"),
    ],
    targets: [
        .target(
            name: "WorkFlowEngine",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WorkFlowModules",
            dependencies: [
                "WorkFlowEngine",
                "WorkFlowMail",
                "WorkFlowXLSX",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Yams", package: "Yams"),
                "CLibSSH2",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("Scripts")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WorkFlowLogging",
            dependencies: [
                "WorkFlowEngine",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WorkFlowConfig",
            dependencies: ["WorkFlowEngine"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WorkFlowStore",
            dependencies: [
                "WorkFlowEngine",
                "WorkFlowCron",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
            ],
            swiftSettings: strictSettings
        ),
        .target(name: "WorkFlowCron", swiftSettings: strictSettings),
        // libxlsxwriter from Debian's libxlsxwriter-dev, our small Swift writer on top, and our own reader.
        .systemLibrary(name: "CXlsxWriter", pkgConfig: "xlsxwriter", providers: [.apt(["libxlsxwriter-dev"])]),
        .target(
            name: "WorkFlowXLSX",
            dependencies: ["CXlsxWriter", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: strictSettings
        ),
        // libcurl from Debian's libcurl4-openssl-dev, and our message builder and SMTP sender on top.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "WorkFlowMail", dependencies: ["CCurl"], swiftSettings: strictSettings),
        // libssh2 from Debian's libssh2-1-dev, for common.Ssh (its Swift wrapper lives in WorkFlowModules).
        .systemLibrary(name: "CLibSSH2", pkgConfig: "libssh2", providers: [.apt(["libssh2-1-dev"])]),
        .target(
            name: "WorkFlowServer",
            dependencies: [
                "WorkFlowEngine",
                "WorkFlowCron",
                "WorkFlowModules",
                "WorkFlowStore",
                "WorkFlowLogging",
                "WorkFlowBackup",
                "WorkFlowXLSX",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // The web UI's page templates and its own stylesheet and scripts.
            resources: [.copy("Web/Templates"), .copy("Web/Public")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WorkFlowBackup",
            dependencies: [
                "WorkFlowEngine",
                "WorkFlowStore",
                "WorkFlowCron",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WorkFlowCLI",
            dependencies: [
                "WorkFlowServer",
                "WorkFlowCron",
                "WorkFlowEngine",
                "WorkFlowModules",
                "WorkFlowStore",
                "WorkFlowBackup",
                "WorkFlowConfig",
                "WorkFlowLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "workflow",
            dependencies: ["WorkFlowCLI"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "workflow-bench",
            dependencies: ["WorkFlowEngine", "WorkFlowModules"],
            path: "Benchmarks/EngineBenchmark",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "workflow-store-bench",
            dependencies: ["WorkFlowEngine", "WorkFlowModules", "WorkFlowStore", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/StoreBenchmark",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WorkFlowEngineTests",
            dependencies: ["WorkFlowEngine"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WorkFlowModulesTests",
            dependencies: ["WorkFlowModules", "WorkFlowEngine", "WorkFlowMail"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WorkFlowLoggingTests",
            dependencies: ["WorkFlowLogging", "WorkFlowEngine"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WorkFlowConfigTests",
            dependencies: ["WorkFlowConfig"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WorkFlowStoreTests",
            dependencies: ["WorkFlowStore", "WorkFlowEngine", "WorkFlowCron"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "WorkFlowCronTests", dependencies: ["WorkFlowCron"], swiftSettings: strictSettings),
        .testTarget(
            name: "WorkFlowXLSXTests",
            dependencies: ["WorkFlowXLSX", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WorkFlowServerTests",
            dependencies: [
                "WorkFlowServer", "WorkFlowEngine", "WorkFlowModules", "WorkFlowStore", "WorkFlowCron",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WorkFlowBackupTests",
            dependencies: [
                "WorkFlowBackup", "WorkFlowEngine", "WorkFlowStore", "WorkFlowModules",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WorkFlowCLITests",
            dependencies: [
                "WorkFlowCLI", "WorkFlowEngine", "WorkFlowModules", "WorkFlowStore", "WorkFlowBackup",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            exclude: ["Golden"],
            swiftSettings: strictSettings
        ),
    ]
)
