/// What the nftables backend needs of the kernel: transactions applied all or nothing, and checked without being
/// committed (nft's dry run). `NftablesDriver` is the real one (libnftables); `ProxyTesting` has an in-memory fake
/// with the same atomicity, so the backend's bookkeeping is tested without root.
public protocol NftablesKernel: Sendable {
    /// Applies `transaction` in one kernel transaction: everything or nothing.
    func apply(_ transaction: NftablesTransaction) async throws(NftablesError)
    /// Validates `transaction` as the kernel would, committing nothing.
    func check(_ transaction: NftablesTransaction) async throws(NftablesError)
}
