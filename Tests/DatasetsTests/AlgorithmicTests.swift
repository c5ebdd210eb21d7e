import XCTest
import Datasets
import Linalg

final class AlgorithmicTests: XCTestCase {
    /// Each modular operation against its formula computed independently in Int arithmetic with Python-style modulo.
    func testModularOperationsMatchFormulas() throws {
        let p = 13
        func m(_ v: Int) -> Int { ((v % p) + p) % p }
        func inv(_ y: Int) -> Int { (1..<p).first { y * $0 % p == 1 }! }
        let formulas: [BinaryOperation: (Int, Int) -> Int?] = [
            .add: { m($0 + $1) }, .subtract: { m($0 - $1) }, .multiply: { m($0 * $1) },
            .divide: { $1 == 0 ? nil : m($0 * inv($1)) },
            .squareSum: { m($0 * $0 + $1 * $1) }, .quadratic: { m($0 * $0 + $0 * $1 + $1 * $1) },
            .quadraticPlusX: { m($0 * $0 + $0 * $1 + $1 * $1 + $0) }, .cubicXY: { m($0 * $0 * $0 + $0 * $1) },
            .cubicXY2: { m($0 * $0 * $0 + $0 * $1 * $1 + $1) },
            .oddDivideElseSubtract: { $1 % 2 == 1 ? m($0 * inv($1)) : m($0 - $1) },
        ]
        for (op, f) in formulas {
            let table = try OperationTable(operation: op, modulus: p)
            var expected: [Example] = []
            for x in 0..<p { for y in 0..<p { if let z = f(x, y) { expected.append(Example(x: Int32(x), y: Int32(y), label: Int32(z))) } } }
            XCTAssertEqual(table.examples, expected, "\(op.rawValue)")
            XCTAssertEqual(table.vocabulary, p)
            XCTAssertEqual(table.classes, p)
        }
        XCTAssertEqual(try OperationTable(operation: .divide, modulus: 97).examples.count, 97 * 96)
        XCTAssertEqual(try OperationTable(operation: .add, modulus: 97).examples.count, 97 * 97)
    }

    func testDivisionInvertsMultiplication() throws {
        let p = 97
        for e in try OperationTable(operation: .divide, modulus: p).examples {
            XCTAssertEqual(Int(e.label) * Int(e.y) % p, Int(e.x))
        }
    }

    func testPermutationGroupAxioms() throws {
        let g = PermutationGroup(degree: 5)
        XCTAssertEqual(g.order, 120)
        var rng = RNG(seed: 5)
        for _ in 0..<200 {
            let a = rng.int(below: 120), b = rng.int(below: 120), c = rng.int(below: 120)
            XCTAssertEqual(g.compose(g.compose(a, b), c), g.compose(a, g.compose(b, c)))
            XCTAssertEqual(g.compose(a, g.inverse(a)), g.identity)
            XCTAssertEqual(g.compose(g.identity, a), a)
        }
        let conj = try OperationTable(operation: .conjugate, modulus: 5)
        XCTAssertEqual(conj.examples.count, 14_400)
        // Conjugation preserves cycle type, so conjugating the identity gives the identity.
        for e in conj.examples where e.y == 0 { XCTAssertEqual(e.label, 0) }
        // S5 is not abelian: composition must differ from its reverse somewhere.
        let comp = try OperationTable(operation: .compose, modulus: 5)
        XCTAssertTrue(comp.examples.contains { e in Int(e.label) != g.compose(Int(e.y), Int(e.x)) })
    }

    func testSplitIsDisjointCompleteAndSeeded() throws {
        let table = try OperationTable(operation: .add, modulus: 31)
        let (tr, va) = try table.split(trainFraction: 0.3, rng: RNG(seed: 1))
        XCTAssertEqual(tr.count, Int((0.3 * 961).rounded()))
        XCTAssertEqual(tr.count + va.count, 961)
        let key = { (e: Example) in Int(e.x) * 31 + Int(e.y) }
        XCTAssertTrue(Set(tr.map(key)).isDisjoint(with: Set(va.map(key))))
        let (tr2, _) = try table.split(trainFraction: 0.3, rng: RNG(seed: 1))
        XCTAssertEqual(tr, tr2)
        let (tr3, _) = try table.split(trainFraction: 0.3, rng: RNG(seed: 2))
        XCTAssertNotEqual(tr, tr3)
    }

    func testInvalidCombinationsNameTheKey() {
        XCTAssertThrowsError(try OperationTable(operation: .divide, modulus: 96)) { e in
            XCTAssertEqual((e as? DatasetError)?.key, "task.modulus")
            XCTAssertTrue("\(e)".contains("not prime"))
        }
        XCTAssertThrowsError(try OperationTable(operation: .add, modulus: 1)) { XCTAssertEqual(($0 as? DatasetError)?.key, "task.modulus") }
        XCTAssertThrowsError(try OperationTable(operation: .compose, modulus: 9)) { XCTAssertEqual(($0 as? DatasetError)?.key, "task.modulus") }
        let table = try! OperationTable(operation: .add, modulus: 5)
        for f in [0.0, 1.0, -0.5, 1.5, .nan, 0.01] {
            XCTAssertThrowsError(try table.split(trainFraction: f, rng: RNG(seed: 0)), "fraction \(f)") {
                XCTAssertEqual(($0 as? DatasetError)?.key, "task.train_fraction")
            }
        }
    }

    func testSpellings() {
        XCTAssertEqual(BinaryOperation(spelling: "x + y"), .add)
        XCTAssertEqual(BinaryOperation(spelling: "x∘y∘x⁻¹"), .conjugate)
        XCTAssertEqual(BinaryOperation(spelling: "x²+y²"), .squareSum)
        XCTAssertNil(BinaryOperation(spelling: "x%y"))
    }

    /// The discrete-log order lists every nonzero residue once, and turns multiplication into addition:
    /// order[i] · order[j] = order[(i + j) mod (p − 1)].
    func testDiscreteLogOrderTurnsProductsIntoSums() throws {
        XCTAssertEqual(discreteLogOrder(7), [1, 3, 2, 6, 4, 5])          // 3 is the smallest primitive root of 7
        XCTAssertNil(discreteLogOrder(15))
        for p in [11, 97, 113] {
            let order = try XCTUnwrap(discreteLogOrder(p))
            XCTAssertEqual(Set(order), Set(1..<p))
            for i in stride(from: 0, to: p - 1, by: 7) {
                for j in stride(from: 0, to: p - 1, by: 5) { XCTAssertEqual(order[i] * order[j] % p, order[(i + j) % (p - 1)]) }
            }
        }
    }
}
