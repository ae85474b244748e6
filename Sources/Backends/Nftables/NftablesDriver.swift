import CNftables
import Glibc

/// The only code that talks to nf_tables: runs nft command text through libnftables, one call per
/// transaction. An actor whose methods run on a dedicated kernel thread (optionally inside another network
/// namespace), which owns the libnftables context.
///
/// - Important: `apply` is all or nothing: libnftables sends the whole text as one kernel transaction, and a
///   parse, evaluation or kernel error anywhere leaves nothing applied.
public actor NftablesDriver: NftablesKernel {
    private let thread: KernelThread
    private let context: Context

    public nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    /// Opens a libnftables context in the current network namespace, or in `networkNamespace`
    /// (`/run/netns/NAME`) for tests and tools.
    public init(networkNamespace: String? = nil) async throws(NftablesError) {
        do {
            thread = try await KernelThread(name: "proxyd-nftables", networkNamespace: networkNamespace)
        } catch {
            throw NftablesError(code: .failed, message: error.description)
        }
        // Created on the thread, in its namespace.
        let created = (try? await thread.perform { Context() }) ?? nil
        guard let created else {
            throw NftablesError(code: .failed, message: "cannot create a libnftables context")
        }
        context = created
    }

    /// Applies a transaction atomically.
    ///
    /// libnftables reads the text from memory: its scanner then skips stdio, about 8 % fewer instructions than
    /// reading the same text from a file for a 10,000-Service transaction. nft 1.0.6 cannot say which line of a buffer it
    /// refused, so a refused transaction is checked once more from a memfd in dry-run mode, which commits
    /// nothing and yields nft's message with the right line.
    ///
    /// Around a full transaction the driver returns free heap memory to the kernel (`malloc_trim`): before, so
    /// that what decoding and rendering left free counts only once against the peak that libnftables adds
    /// (about 68 MB for 10,000 Services, on this thread's own malloc arena); after, because libnftables frees
    /// all of it but glibc would otherwise keep it resident for the life of the process.
    public func apply(_ transaction: NftablesTransaction) throws(NftablesError) {
        let text = transaction.text
        let trims = transaction.isFull
        if trims { malloc_trim(0) }
        defer { if trims { malloc_trim(0) } }
        guard let failure = context.runFromMemory(text) else { return }
        nft_ctx_set_dry_run(context.pointer, true)
        defer { nft_ctx_set_dry_run(context.pointer, false) }
        _ = try context.run(text)
        // The dry run passed (the kernel's refusal was transient): report the first message as it was.
        throw NftablesError.parse(failure, source: nil, path: nil)
    }

    /// Runs nft commands (e.g. `list table ip proxyd`) and returns nft's output.
    public func run(_ commands: String) throws(NftablesError) -> String {
        try context.run(commands)
    }

    /// Runs a read-only command (`list …`) and returns nft's output.
    public func list(_ command: String) throws(NftablesError) -> String {
        try context.run(command)
    }

    /// Asks the kernel to validate a transaction without committing it (nft's dry-run mode).
    public func check(_ transaction: NftablesTransaction) throws(NftablesError) {
        nft_ctx_set_dry_run(context.pointer, true)
        defer { nft_ctx_set_dry_run(context.pointer, false) }
        _ = try context.run(transaction.text)
    }

    /// A libnftables context; used only on the driver's thread (created there, then actor state).
    final class Context: @unchecked Sendable {
        let pointer: OpaquePointer

        init?() {
            guard let pointer = nft_ctx_new(UInt32(NFT_CTX_DEFAULT)) else { return nil }
            self.pointer = pointer
            nft_ctx_buffer_output(pointer)
            nft_ctx_buffer_error(pointer)
        }

        deinit { nft_ctx_free(pointer) }

        /// Runs `text` from memory; nil on success, else nft's error output (without a usable line number).
        func runFromMemory(_ text: String) -> String? {
            let status = text.withCString { nft_run_cmd_from_buffer(pointer, $0) }
            guard status != 0 else { return nil }
            return nft_ctx_get_error_buffer(pointer).map { String(cString: $0) } ?? ""
        }

        func run(_ text: String) throws(NftablesError) -> String {
            let fd = cnftables_memfd("proxyd-nft")
            guard fd >= 0 else {
                throw NftablesError(code: .failed, message: "memfd_create: \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            var remaining = Array(text.utf8)[...]
            while !remaining.isEmpty {
                let written = remaining.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                guard written > 0 else {
                    throw NftablesError(code: .failed, message: "writing the transaction: \(String(cString: strerror(errno)))")
                }
                remaining = remaining.dropFirst(written)
            }
            let path = "/proc/self/fd/\(fd)"
            let status = nft_run_cmd_from_filename(pointer, path)
            let output = nft_ctx_get_output_buffer(pointer).map { String(cString: $0) } ?? ""
            let errors = nft_ctx_get_error_buffer(pointer).map { String(cString: $0) } ?? ""
            if status != 0 {
                throw NftablesError.parse(errors, source: text, path: path)
            }
            return output
        }
    }
}
