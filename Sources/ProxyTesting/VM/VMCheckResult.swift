/// What one `VMCheck` found, as `proxyd-vmcheck` writes it (JSON) into the VM's shared directory.
public struct VMCheckResult: Sendable, Codable, Hashable {
    public struct Issue: Sendable, Codable, Hashable, CustomStringConvertible {
        public var message: String
        public var fileID: String
        public var filePath: String
        public var line: Int
        public var column: Int

        public var description: String { "\(fileID):\(line): \(message)" }
    }

    public var name: String
    public var issues: [Issue]
    public var notes: [String]
    /// Wall time inside the VM.
    public var seconds: Double

    public var passed: Bool { issues.isEmpty }
}
