/// Why the lab could not do what a test asked, and what to do about it.
///
/// Errors render themselves: the message names the namespace or command and, where there is one, the fix
/// (`run swift build --build-tests`, `install conntrack`).
public struct LabError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String

        /// The spec asks for something the lab cannot build (duplicate or malformed pod names).
        public static let invalidSpec = Code(name: "invalidSpec")
        /// A system tool (`ip`, `nft`, `conntrack`) is not installed.
        public static let toolMissing = Code(name: "toolMissing")
        /// A built product (`proxyd-lab`, `proxyd`) is not in the build directory.
        public static let binaryMissing = Code(name: "binaryMissing")
        /// A command ran and failed.
        public static let commandFailed = Code(name: "commandFailed")
        /// A started process exited before it said it was ready.
        public static let processExited = Code(name: "processExited")
        /// A started process did not say it was ready before the deadline.
        public static let readyTimeout = Code(name: "readyTimeout")
        /// The lab's links did not become ready for traffic in time.
        public static let notReady = Code(name: "notReady")
        /// A tool printed something the lab could not parse.
        public static let unexpectedOutput = Code(name: "unexpectedOutput")
        /// A host name the lab does not have.
        public static let unknownHost = Code(name: "unknownHost")
        /// Teardown could not remove everything the lab created.
        public static let teardownIncomplete = Code(name: "teardownIncomplete")

        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "lab: \(message)" }
}
