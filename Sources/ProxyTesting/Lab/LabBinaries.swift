import Foundation

/// Finds the package's built executables (`proxyd-lab`, `proxyd`) from inside a test.
///
/// Looks, in order, in `$PROXYD_BUILD_PRODUCTS` (an explicit override), the directory of the running test binary
/// (`swift test` runs `.build/<triple>/debug/proxydPackageTests.xctest`, next to the executables), and
/// `.build/debug` of the package that contains this source file.
public enum LabBinaries {
    /// The absolute path of a built product.
    ///
    /// - Throws: ``LabError/Code/binaryMissing`` naming every place looked at and the command that builds it.
    public static func path(of product: String, filePath: String = #filePath) throws(LabError) -> String {
        let candidates = searchDirectories(filePath: filePath).map { $0 + "/" + product }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return found
        }
        throw LabError(
            .binaryMissing,
            "`\(product)` is not built; looked in \(candidates.joined(separator: ", ")). Run `swift build --build-tests` first."
        )
    }

    static func searchDirectories(filePath: String) -> [String] {
        var directories: [String] = []
        if let override = ProcessInfo.processInfo.environment["PROXYD_BUILD_PRODUCTS"], !override.isEmpty {
            directories.append(override)
        }
        // /proc/self/exe resolves symlinks (`.build/debug` links to `.build/<triple>/debug`).
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: executable).deletingLastPathComponent().path)
        }
        // Sources/ProxyTesting/Lab/LabBinaries.swift → package root.
        var root = URL(fileURLWithPath: filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        directories.append(root.appendingPathComponent(".build/debug").path)
        return directories
    }
}
