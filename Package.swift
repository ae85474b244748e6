// swift-tools-version:6.2
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "proxyd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "proxyd", targets: ["proxyd"]),
        .executable(name: "proxyd-lab", targets: ["proxyd-lab"]),
        .executable(name: "proxyd-bench", targets: ["proxyd-bench"]),
        .library(name: "ServiceModel", targets: ["ServiceModel"]),
        .library(name: "ProxyTesting", targets: ["ProxyTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // Pure: Kubernetes types, addresses, the proxy model, desired state and diff. No I/O.
        .target(name: "ServiceModel", swiftSettings: upcoming),
        // Sources of ObjectEvents: the API server (URLSession, or async-http-client for what URLSession on Linux
        // cannot do: a custom CA, client certificates) and files.
        .target(
            name: "Watcher",
            dependencies: [
                "ServiceModel", .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: upcoming
        ),
        // libnftables, as Debian packages it.
        .systemLibrary(name: "CNftables", pkgConfig: "libnftables", providers: [.apt(["libnftables-dev"])]),
        // ctnetlink over libmnl: conntrack cleanup.
        .systemLibrary(name: "CConntrack", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        // libnl-3 / libnl-genl-3: IPVS over generic netlink, links over rtnetlink.
        .systemLibrary(
            name: "CNetlink", pkgConfig: "libnl-genl-3.0", providers: [.apt(["libnl-3-dev", "libnl-genl-3-dev"])]),
        // Linux calls the Glibc module does not expose (setns).
        .systemLibrary(name: "CLinux"),
        // Renderers (pure) and drivers (the only code that touches the kernel).
        .target(
            name: "Backends", dependencies: [
                "ServiceModel", "CNftables", "CConntrack", "CNetlink", "CLinux",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["Nftables/README.md", "Iptables/README.md", "IPVS/README.md"],
            swiftSettings: upcoming
        ),
        // kube-proxy's configuration: the KubeProxyConfiguration file (strict, with lines), Go durations, and the
        // resolution of flags and file into the values proxyd runs with.
        .target(
            name: "ProxydConfiguration",
            dependencies: [
                "ServiceModel", "Backends",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: upcoming
        ),
        // The daemon's core as a library: the sync runner, status and metrics, the HTTP servers, node setup.
        .target(
            name: "ProxyRuntime",
            dependencies: [
                "ServiceModel", "Backends",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                // HTTP1Channel and ServerChildChannel: the servers' idle timeout and connection budget.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // The command: one file per mode of running (daemon, dry run, once, cleanup, init-only, write-config) and
        // the composition of sources, runtime and backend.
        .executableTarget(
            name: "proxyd",
            dependencies: [
                "ServiceModel", "Watcher", "Backends", "ProxydConfiguration", "ProxyRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // The network-namespace lab's multi-tool (serve / connect / forward), run inside lab namespaces.
        // Plain POSIX sockets; depends on nothing of ours so it stays small and obviously correct.
        .executableTarget(
            name: "proxyd-lab",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: upcoming
        ),
        // Swift checks that need a kernel this machine lacks (IPVS, dummy interfaces): proxyd-vmcheck runs them inside
        // a VM, driven by host tests in KernelTests (docs/testing-lab.md).
        .target(name: "VMChecks", dependencies: ["Backends", "ServiceModel", "ProxyTesting"], swiftSettings: upcoming),
        .executableTarget(
            name: "proxyd-vmcheck",
            dependencies: ["VMChecks", "ProxyTesting", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: upcoming
        ),
        // `make demo`: a live two-node cluster in network namespaces, proxyd on each node following the fake API
        // server loaded with examples/. Built on the test lab (ProxyTesting), which already builds that topology.
        .executableTarget(
            name: "proxyd-demo",
            dependencies: [
                "ServiceModel", "Watcher", "ProxyTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: upcoming
        ),
        // Benchmarks (not tests): numbers for BENCHMARKS.md.
        .executableTarget(
            name: "proxyd-bench",
            dependencies: [
                "ServiceModel", "Watcher", "Backends", "ProxyTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "ProxyTesting",
            dependencies: [
                "ServiceModel", "Watcher", "Backends", .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"), .product(name: "Yams", package: "Yams"),
                // The fake API server.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(name: "ServiceModelTests", dependencies: ["ServiceModel", "ProxyTesting"], swiftSettings: upcoming),
        .testTarget(
            name: "WatcherTests",
            // proxyd: the URLSession-over-TLS test runs the real binary in a mount namespace of its own.
            dependencies: ["Watcher", "ProxyTesting", "proxyd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "BackendsTests", dependencies: ["Backends", "ServiceModel", "ProxyTesting", "Watcher"],
            exclude: ["Golden"], swiftSettings: upcoming
        ),
        // The lab proving itself: pure topology/parsing tests, and kernel tests (root) in network namespaces.
        // Depends on proxyd-lab so `swift build --build-tests` always builds the tool the lab runs.
        .testTarget(
            name: "LabTests",
            dependencies: ["ProxyTesting", "ServiceModel", "proxyd-lab"],
            swiftSettings: upcoming
        ),
        // The daemon's runtime without root: the sync runner with a recording backend and a manual clock.
        .testTarget(
            name: "ProxyRuntimeTests",
            dependencies: [
                "ProxyRuntime", "Backends", "ServiceModel", "ProxyTesting", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        // proxyd's own logic (configuration file, flags): unit tests through `@testable import proxyd`, and the
        // built binary run as an operator would.
        .testTarget(
            name: "ProxydTests",
            dependencies: [
                "proxyd", "ProxydConfiguration", "ProxyRuntime", "ProxyTesting", "ServiceModel", "Backends",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Subprocess", package: "swift-subprocess"), .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: upcoming
        ),
        // End-to-end: the real proxyd daemon in a lab node, following the fake API server (root), and `make demo`'s
        // proxyd-demo run whole. Backends: KernelThread, to hold sockets inside a lab namespace from the test process.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["ServiceModel", "ProxyTesting", "Backends", "proxyd", "proxyd-lab", "proxyd-demo"],
            swiftSettings: upcoming
        ),
        // Kernel tests: real rules in real network namespaces (root), through proxyd's real driver and binary; IPVS
        // checks in one VM (proxyd-vmcheck).
        .testTarget(
            name: "KernelTests",
            dependencies: ["Backends", "ServiceModel", "ProxyTesting", "VMChecks", "proxyd", "proxyd-lab", "proxyd-vmcheck"],
            swiftSettings: upcoming
        ),
    ]
)
