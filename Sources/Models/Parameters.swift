// Parameters, gradients and their named views in one flat allocation each, so that the optimizer
// is one loop over all parameters and a checkpoint is one buffer.
import Linalg

/// A named tensor inside the flat parameter buffer: values[offset ..< offset + rows * cols].
public struct ParameterView: Sendable, Codable, Equatable {
    public let name: String
    public let offset: Int
    public let rows: Int
    public let cols: Int
    /// Whether decoupled weight decay applies (all tensors by default, as in the grokking papers).
    public let decays: Bool
    public var count: Int { rows * cols }
}

/// The size table of a model: names and shapes in order; offsets follow from it.
public struct ParameterLayout: Sendable, Equatable {
    public private(set) var views: [ParameterView] = []
    public private(set) var count = 0
    public init() {}
    @discardableResult
    public mutating func add(_ name: String, rows: Int, cols: Int, decays: Bool = true) -> ParameterView {
        let v = ParameterView(name: name, offset: count, rows: rows, cols: cols, decays: decays)
        views.append(v)
        count += rows * cols
        return v
    }
    public func view(_ name: String) -> ParameterView? { views.first { $0.name == name } }
}

/// Owns values and gradients (both [count]); freed with the store.
public final class ParameterStore<T: Scalar> {
    public let layout: ParameterLayout
    public let values: UnsafeMutablePointer<T>   // [count]
    public let grads: UnsafeMutablePointer<T>    // [count]
    public var count: Int { layout.count }

    public init(layout: ParameterLayout) {
        self.layout = layout
        values = .allocate(capacity: max(1, layout.count))
        grads = .allocate(capacity: max(1, layout.count))
        values.initialize(repeating: 0, count: max(1, layout.count))
        grads.initialize(repeating: 0, count: max(1, layout.count))
    }

    deinit {
        values.deallocate()
        grads.deallocate()
    }

    @inline(__always) public func value(_ v: ParameterView) -> UnsafeMutablePointer<T> { values + v.offset }
    @inline(__always) public func grad(_ v: ParameterView) -> UnsafeMutablePointer<T> { grads + v.offset }

    /// The one place gradients are zeroed before a backward pass accumulates into them.
    public func zeroGrads() { grads.update(repeating: 0, count: count) }
    /// Half `half` (0 or 1) of zeroGrads, for the two members of a team (Linalg's forEachChunk).
    public func zeroGrads(half: Int) {
        forEachChunk(ofHalf: half, count: count) { r in (grads + r.lowerBound).update(repeating: 0, count: r.count) }
    }

    /// Euclidean norm of one tensor, accumulated in Double.
    public func norm(_ v: ParameterView) -> Double {
        let p = value(v)
        var s = 0.0
        for i in 0..<v.count { let x = Double(p[i]); s += x * x }
        return s.squareRoot()
    }

    /// Euclidean norm of all parameters.
    public var totalNorm: Double {
        var s = 0.0
        for i in 0..<count { let x = Double(values[i]); s += x * x }
        return s.squareRoot()
    }

    public var valueArray: [T] { Array(UnsafeBufferPointer(start: values, count: count)) }
    public var gradArray: [T] { Array(UnsafeBufferPointer(start: grads, count: count)) }

    public func load(_ array: [T]) {
        precondition(array.count == count, "ParameterStore.load: \(array.count) values for \(count) parameters")
        array.withUnsafeBufferPointer { values.update(from: $0.baseAddress!, count: count) }
    }
}
