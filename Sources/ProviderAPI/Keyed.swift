/// A task-group child's answer, tagged with the key it was started for.
///
/// Task-group children in Landlord return this struct, never a tuple. Swift 6.3's optimizer
/// corrupts a child's tuple result whose first element is known before a suspension and the
/// rest after it (`group.addTask { (key, await work(key)) }`): at `-O` the key half is written
/// into the task's async frame before the suspension and read back from freed memory after it
/// (swiftlang/swift#91911, "Don't split async @out tuple results across suspensions"). That was
/// the release build's crash against AWS in `occupiedPriorities`; `scripts/repro/` holds a
/// 40-line program that crashes at `-O` with a tuple and passes with this struct, and
/// `scripts/lint.sh` refuses a tuple-typed task group, so the pattern cannot come back.
public struct Keyed<K: Sendable, V: Sendable>: Sendable {
    /// What the child was started for (a tenant id, a listener ARN, an index).
    public let key: K
    /// What it produced.
    public let value: V

    /// Tags `value` with `key`. Arguments are evaluated before the call, so an awaited value
    /// is complete before the struct is built.
    public init(_ key: K, _ value: V) {
        self.key = key
        self.value = value
    }
}
