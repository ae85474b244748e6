/// What the nftables backend needs of the kernel: transactions applied all or nothing, checked without being
/// committed (nft's dry run), and read-only commands (`list chain …`). `NftablesDriver` is the real one
/// (libnftables); `ProxyTesting.FakeNftablesKernel` keeps tables in memory with the same atomicity, so that the
/// backend's bookkeeping is tested without root.
public protocol NftablesKernel: Sendable {
    /// Applies `transaction` in one kernel transaction: everything or nothing.
    func apply(_ transaction: NftablesTransaction) async throws(NftablesError)
    /// Validates `transaction` as the kernel would, committing nothing.
    func check(_ transaction: NftablesTransaction) async throws(NftablesError)
    /// Runs a read-only command (`list chain ip proxyd nat-prerouting`) and returns nft's output.
    func list(_ command: String) async throws(NftablesError) -> String
}
