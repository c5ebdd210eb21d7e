// Algorithmic data sets of Power et al. 2022: every pair (x, y) of a finite set with the result x ∘ y,
// split into a training and a validation part by a training fraction and a seed.
//
// Tokens: for the modular operations, x, y and the result are residues 0..<p (vocabulary p, p classes);
// for the permutation operations on S5, the 120 permutations in lexicographic order (vocabulary 120).

/// An error in a data-set specification, naming the offending key and value.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    public let key: String
    public let message: String
    public init(key: String, _ message: String) { self.key = key; self.message = message }
    public var description: String { "\(key): \(message)" }
}

public enum BinaryOperation: String, CaseIterable, Sendable, Codable {
    case add = "x+y"
    case subtract = "x-y"
    case multiply = "x*y"
    case divide = "x/y"
    case squareSum = "x^2+y^2"
    case quadratic = "x^2+xy+y^2"
    case quadraticPlusX = "x^2+xy+y^2+x"
    case cubicXY = "x^3+xy"
    case cubicXY2 = "x^3+xy^2+y"
    case oddDivideElseSubtract = "x/y if y odd else x-y"
    case compose = "x.y"              // permutation composition on S5
    case conjugate = "x.y.x^-1"       // x ∘ y ∘ x⁻¹ on S5
    case sandwich = "x.y.x"           // x ∘ y ∘ x on S5

    /// Accepted spellings: the raw value, with or without spaces, with '·' or '∘' for composition.
    public init?(spelling: String) {
        let s = spelling.replacingOccurrences(of: " ", with: "")
            .replacingOccurrences(of: "·", with: "*").replacingOccurrences(of: "∘", with: ".")
            .replacingOccurrences(of: "−", with: "-").replacingOccurrences(of: "²", with: "^2")
            .replacingOccurrences(of: "³", with: "^3").replacingOccurrences(of: "⁻¹", with: "^-1")
        if let op = BinaryOperation(rawValue: s) { self = op; return }
        let compact = BinaryOperation.allCases.first { $0.rawValue.replacingOccurrences(of: " ", with: "") == s }
        guard let op = compact else { return nil }
        self = op
    }

    public var isPermutation: Bool { self == .compose || self == .conjugate || self == .sandwich }
    /// Division needs an inverse of y: y ≠ 0 and p prime.
    public var needsPrimeModulus: Bool { self == .divide || self == .oddDivideElseSubtract }
    /// Commutative operations (x ∘ y = y ∘ x for all pairs).
    public var isCommutative: Bool {
        switch self {
        case .add, .multiply, .squareSum, .quadratic: return true
        default: return false
        }
    }
}

/// Modular inverse by Fermat's little theorem (p prime, a ≠ 0 mod p).
func modInverse(_ a: Int, _ p: Int) -> Int { modPow(a, p - 2, p) }

func modPow(_ base: Int, _ exponent: Int, _ p: Int) -> Int {
    var result = 1, b = base % p, e = exponent
    while e > 0 {
        if e & 1 == 1 { result = result * b % p }
        b = b * b % p
        e >>= 1
    }
    return result
}

/// The nonzero residues mod a prime p in discrete-logarithm order, g⁰, g¹, …, g^(p−2), for the smallest
/// primitive root g: in this order multiplication mod p becomes addition mod p − 1, so the structure a
/// network learns for x·y or x/y shows in a Fourier transform over it (nil when p is not prime).
public func discreteLogOrder(_ p: Int) -> [Int]? {
    guard isPrime(p), p > 2 else { return p == 2 ? [1] : nil }
    let factors = (2..<p).filter { (p - 1) % $0 == 0 && isPrime($0) }
    guard let g = (2..<p).first(where: { g in factors.allSatisfy { modPow(g, (p - 1) / $0, p) != 1 } }) else { return nil }
    var order: [Int] = [], x = 1
    for _ in 0..<(p - 1) { order.append(x); x = x * g % p }
    return order
}

public func isPrime(_ n: Int) -> Bool {
    if n < 2 { return false }
    var d = 2
    while d * d <= n { if n % d == 0 { return false }; d += 1 }
    return true
}

/// The symmetric group S_n as permutations of 0..<n, indexed in lexicographic order.
public struct PermutationGroup: Sendable {
    public let degree: Int
    public let elements: [[Int]]           // [order][degree]
    private let index: [[Int]: Int]

    public init(degree: Int) {
        self.degree = degree
        var all: [[Int]] = []
        func build(_ prefix: [Int], _ rest: [Int]) {
            if rest.isEmpty { all.append(prefix); return }
            for (i, v) in rest.enumerated() {
                var r = rest; r.remove(at: i)
                build(prefix + [v], r)
            }
        }
        build([], Array(0..<degree))
        elements = all
        var idx: [[Int]: Int] = [:]
        for (i, e) in all.enumerated() { idx[e] = i }
        index = idx
    }

    public var order: Int { elements.count }
    /// (a ∘ b)(i) = a(b(i)): apply b first.
    public func compose(_ a: Int, _ b: Int) -> Int {
        let pa = elements[a], pb = elements[b]
        return index[pb.map { pa[$0] }]!
    }
    public func inverse(_ a: Int) -> Int {
        var inv = [Int](repeating: 0, count: degree)
        for (i, v) in elements[a].enumerated() { inv[v] = i }
        return index[inv]!
    }
    public var identity: Int { 0 }
}

/// One example: the two operand tokens and the result class.
public struct Example: Equatable, Sendable {
    public let x: Int32
    public let y: Int32
    public let label: Int32
    public init(x: Int32, y: Int32, label: Int32) { self.x = x; self.y = y; self.label = label }
}

/// The full table of a binary operation: every valid pair with its result.
public struct OperationTable: Sendable {
    public let operation: BinaryOperation
    public let modulus: Int          // p, or the degree of the permutation group (5)
    public let vocabulary: Int       // number of distinct operand tokens
    public let classes: Int          // number of distinct results
    public let examples: [Example]

    /// - Parameters:
    ///   - modulus: p for the modular operations (≥ 2; prime for division); for the permutation
    ///     operations the degree n of S_n (3...6, default use 5).
    public init(operation: BinaryOperation, modulus p: Int) throws {
        self.operation = operation
        self.modulus = p
        if operation.isPermutation {
            guard (2...6).contains(p) else {
                throw DatasetError(key: "task.modulus", "\(p) is not a usable permutation degree for \(operation.rawValue); HINT: use 5 (S5, 120 elements, 14400 pairs) or 3...6")
            }
            let g = PermutationGroup(degree: p)
            var out: [Example] = []
            out.reserveCapacity(g.order * g.order)
            for x in 0..<g.order {
                for y in 0..<g.order {
                    let r: Int
                    switch operation {
                    case .compose: r = g.compose(x, y)
                    case .conjugate: r = g.compose(g.compose(x, y), g.inverse(x))
                    default: r = g.compose(g.compose(x, y), x)
                    }
                    out.append(Example(x: Int32(x), y: Int32(y), label: Int32(r)))
                }
            }
            vocabulary = g.order; classes = g.order; examples = out
            return
        }
        guard p >= 2 else {
            throw DatasetError(key: "task.modulus", "\(p) is too small; HINT: the modulus must be at least 2 (the papers use 97 or 113)")
        }
        guard p <= 2048 else {
            throw DatasetError(key: "task.modulus", "\(p) gives \(p * p) pairs, more than this tool handles; HINT: use a modulus up to 2048")
        }
        if operation.needsPrimeModulus && !isPrime(p) {
            throw DatasetError(key: "task.modulus", "\(p) is not prime, so \(operation.rawValue) is undefined for some y; HINT: use a prime modulus such as 31, 59, 97 or 113")
        }
        var out: [Example] = []
        out.reserveCapacity(p * p)
        for x in 0..<p {
            for y in 0..<p {
                let r: Int
                switch operation {
                case .add: r = (x + y) % p
                case .subtract: r = ((x - y) % p + p) % p
                case .multiply: r = x * y % p
                case .divide:
                    if y == 0 { continue }
                    r = x * modInverse(y, p) % p
                case .squareSum: r = (x * x + y * y) % p
                case .quadratic: r = (x * x + x * y + y * y) % p
                case .quadraticPlusX: r = (x * x + x * y + y * y + x) % p
                case .cubicXY: r = (x * x % p * x + x * y) % p
                case .cubicXY2: r = (x * x % p * x + x * (y * y % p) + y) % p
                case .oddDivideElseSubtract:
                    r = y % 2 == 1 ? x * modInverse(y, p) % p : ((x - y) % p + p) % p
                case .compose, .conjugate, .sandwich: fatalError("unreachable")
                }
                out.append(Example(x: Int32(x), y: Int32(y), label: Int32(r)))
            }
        }
        vocabulary = p; classes = p; examples = out
    }

    /// Splits the table: a seeded shuffle, then the first round(fraction · count) examples train.
    /// Both parts are non-empty, or an error names `task.train_fraction`.
    public func split(trainFraction f: Double, rng: RNG) throws -> (train: [Example], validation: [Example]) {
        guard f > 0, f < 1, f.isFinite else {
            throw DatasetError(key: "task.train_fraction", "\(f) is outside (0, 1); HINT: the fraction of all pairs used for training, e.g. 0.5")
        }
        let nTrain = Int((f * Double(examples.count)).rounded())
        guard nTrain >= 1, nTrain < examples.count else {
            throw DatasetError(key: "task.train_fraction", "\(f) of \(examples.count) pairs leaves an empty training or validation set; HINT: use a larger modulus or a fraction nearer 0.5")
        }
        var order = Array(0..<examples.count)
        var r = rng
        r.shuffle(&order)
        let train = order[0..<nTrain].sorted().map { examples[$0] }
        let val = order[nTrain...].sorted().map { examples[$0] }
        return (train, val)
    }
}

import Linalg
