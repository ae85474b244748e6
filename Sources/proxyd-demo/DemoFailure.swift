/// A step of the demo did not see what it promised: what was expected, and what happened instead.
///
/// The demo's checks are assertions: any of them failing ends the demo (after cleaning up) with exit status 1.
struct DemoFailure: Error, CustomStringConvertible {
    var message: String
    /// Already printed where it happened (as a ✗ line of its step).
    var reported = false

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}
