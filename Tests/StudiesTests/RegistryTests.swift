// The registry of task kinds and model families: which keys enter a trial's identity, that every shipped
// study keeps the identity it had before the registry existed, and that the typed trial holds what its
// encoding says.
import Foundation
import Models
import Studies
import XCTest

final class RegistryTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func load(_ name: String, _ profile: String? = nil) throws -> Study {
        try StudyParser.load(path: Self.root.appendingPathComponent("studies/\(name).yaml").path, profile: profile)
    }

    /// A shipped study as it was before it turned probes on: the lines that set `training.probes` and `probes.*`
    /// left out (grokking-modular-addition has recorded its probes since 8978988, which changed its ids on purpose).
    static func withoutProbes(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { line in !(line.hasPrefix("  probes:") || line.hasPrefix("probes:")) }.joined(separator: "\n")
    }

    func loadAsBefore(_ name: String, _ profile: String? = nil) throws -> Study {
        guard name == "grokking-modular-addition" else { return try load(name, profile) }
        let path = Self.root.appendingPathComponent("studies/\(name).yaml").path
        return try StudyParser.parse(Self.withoutProbes(try String(contentsOfFile: path, encoding: .utf8)), file: path, profile: profile)
    }

    /// The study hash (a hash of every trial id, in order) of each shipped study and profile, as the
    /// untyped configuration of commit 68d126c computed them (`descent slurm` writes it into
    /// study.resolved.yaml without training). The registry decides which keys enter an id; if it let
    /// one key more or less into any trial, its study's hash would change here.
    static let hashesBeforeTheRegistry: [(String, String?, String)] = [
        ("data-efficiency-operations", nil, "6fc0c077cd99e2a1"), ("data-efficiency-operations", "ci", "74f5408a689a760f"),
        ("double-descent-linear-theory", nil, "5b98fd8c2b999e25"), ("double-descent-linear-theory", "ci", "1895dbc4cb35063e"),
        ("double-descent-mlp-mnist1d", nil, "1cf6e836aadcc12d"), ("double-descent-mlp-mnist1d", "ci", "36644e75c4414d06"),
        ("double-descent-random-features-digits", nil, "243a97057d908b13"), ("double-descent-random-features-digits", "ci", "831bcc18678af306"),
        ("double-descent-random-features-teacher", nil, "2988b69c37997a80"), ("double-descent-random-features-teacher", "ci", "d9e22e7aacece6e7"),
        ("epochwise-double-descent-linear", nil, "3c232f33202b1aa0"), ("epochwise-double-descent-linear", "ci", "351e349f824d327d"),
        ("epochwise-double-descent", nil, "1852111bbadc5f40"), ("epochwise-double-descent", "ci", "25c55423c8b87bed"),
        ("grokking-modular-addition", nil, "b0d7c615cb662e3b"), ("grokking-modular-addition", "ci", "32da123c3ea4b92c"),
        ("grokking-regularization", nil, "e3c2e6b4a7b5950a"), ("grokking-regularization", "ci", "26f7bf53217e5fcc"),
        ("grokking-transformer-nanda", nil, "3e8d5aab43298fc6"), ("grokking-transformer-nanda", "ci", "54f272ca0c422adc"),
        ("grokking-transformer-power", nil, "809255eba2f2a728"), ("grokking-transformer-power", "ci", "2a8f3b3422ceb38d"),
        ("grokking-vs-dataset-size", nil, "09d5f69c8242e76b"), ("grokking-vs-dataset-size", "ci", "e8f406a59e247e1c"),
        ("grokking-vs-fraction", nil, "8243842dc10605cb"), ("grokking-vs-fraction", "ci", "1eefe58f0a3626c8"),
    ]

    func testShippedStudiesKeepTheirIdentity() throws {
        for (name, profile, hash) in Self.hashesBeforeTheRegistry {
            XCTAssertEqual(try loadAsBefore(name, profile).hash, hash, "\(name) \(profile ?? "full")")
        }
        // Turning the probes on is what changed the default study's ids, and nothing else did.
        XCTAssertNotEqual(try load("grokking-modular-addition").hash, "b0d7c615cb662e3b")
    }

    func testEveryShippedTrialDecodesToWhatItsEncodingSays() throws {
        for (name, profile, _) in Self.hashesBeforeTheRegistry {
            let s = try load(name, profile)
            let sizeKey = Schema.sizeKey(s)
            for t in s.trials {
                XCTAssertEqual(t.value(at: sizeKey)?.asInt, t.spec.model.size, "\(name): the model's size is its size key")
                XCTAssertEqual(t.spec.model.family, s.shape.familyName, name)
                XCTAssertEqual(t.spec.task.kind, s.shape.taskName, name)
                XCTAssertEqual(t.value(at: "training.max_steps")?.asInt, t.spec.training.maxSteps, name)
                XCTAssertEqual(t.value(at: "seed")?.asInt, t.spec.studySeed, name)
                XCTAssertEqual(t.spec.events.map(\.name), s.events.map(\.name).sorted(), name)
                // A closed-form fit has a solver and no optimizer; a trained one the reverse.
                XCTAssertEqual(t.spec.solver != nil, t.spec.fit == .closedForm, name)
                XCTAssertEqual(t.spec.optimizer != nil, t.spec.fit != .closedForm, name)
                if let lr = t.value(at: "optimizer.lr")?.asDouble { XCTAssertEqual(t.spec.optimizer?.learningRate, lr, name) }
                XCTAssertNoThrow(try TrialRunner.validate(t), name)
            }
        }
    }

    func testTheFitDecidesWhichKeysEnterTheIdentity() throws {
        let base = "axis: steps\ntask: { kind: gaussian_linear, n_train: 50, slow_features: 2, slow_scale: 0.5 }\nmodel: { family: linear, features: 10 }\n"
            + "solver: { method: gradient_descent }\noptimizer: { name: sgd, momentum: 0, weight_decay: 0 }\nevents: {}\ntraining: { stop_after: never }\n"
        let gd = try StudyParser.parse(base, file: "gd.yaml").trials[0]
        XCTAssertEqual(gd.spec.fit, .gradientDescent)
        for k in ["optimizer.lr", "task.slow_features", "task.slow_scale", "solver.method"] { XCTAssertNotNil(gd.value(at: k), k) }
        for k in ["solver.lambda", "solver.rcond", "solver.precision", "task.n_test", "task.dimension", "training.loss", "training.precision"] {
            XCTAssertNil(gd.value(at: k), k)
        }
        let closed = try StudyParser.parse("axis: size\ntask: { kind: gaussian_linear, n_train: 50 }\nmodel: { family: linear, features: 10 }\n", file: "cf.yaml").trials[0]
        XCTAssertEqual(closed.spec.fit, .closedForm)
        for k in ["solver.lambda", "solver.rcond", "task.n_test", "task.dimension"] { XCTAssertNotNil(closed.value(at: k), k) }
        for k in ["optimizer.lr", "task.slow_features", "model.activation", "training.gradient_noise"] { XCTAssertNil(closed.value(at: k), k) }
    }

    func testTheDataSeedIgnoresOnlyTheSizeKey() throws {
        let s = try StudyParser.parse("axis: size\ntask: { kind: digits, n_train: 100 }\nmodel: { family: mlp }\nseeds: 2\nsweep: { model.width: [4, 8] }\n", file: "w.yaml")
        let t = s.trials   // width 4 seeds 0, 1; width 8 seeds 0, 1
        XCTAssertEqual(TrialRunner.dataSeed(t[0]), TrialRunner.dataSeed(t[2]), "the same data at every width")
        XCTAssertNotEqual(TrialRunner.dataSeed(t[0]), TrialRunner.dataSeed(t[1]), "another seed, other data")
        XCTAssertNotEqual(t[0].seed, t[2].seed, "initialization differs by width")
    }

    func testRegularizationResolvesIntoTheTypedTrial() throws {
        let s = try StudyParser.parse("task: { modulus: 13 }\nregularization: { kind: dropout, strength: 0.25 }\n", file: "r.yaml")
        let m = try XCTUnwrap(s.trials[0].spec.model as? MLPFamily.Config)
        XCTAssertEqual(m.dropout, 0.2, accuracy: 1e-15)   // q/(1 − q) = 0.25
        XCTAssertEqual(s.trials[0].spec.optimizer?.weightDecay, 0, "the other regularizers are off")
        XCTAssertTrue(s.trials[0].spec.training.transforms.isEmpty)
    }

    func testTransformerNeedsTokens() {
        XCTAssertThrowsError(try StudyParser.parse("axis: size\ntask: { kind: digits }\nmodel: { family: transformer }\n", file: "t.yaml")) { e in
            XCTAssertTrue("\(e)".contains("reads token sequences"), "\(e)")
            XCTAssertEqual((e as? StudyError)?.location?.line, 3)
        }
    }

    func testEveryKeyIsDocumentedOnce() {
        XCTAssertEqual(Set(Schema.keys.map(\.path)).count, Schema.keys.count)
        for k in Schema.keys { XCTAssertFalse(k.doc.isEmpty, k.path) }
        XCTAssertEqual(Set(Registry.familySummaries.map(\.name)), ["mlp", "transformer", "random_features", "linear"])
        XCTAssertEqual(Set(Registry.taskSummaries.map(\.name)), ["algorithmic", "digits", "mnist1d", "gaussian_linear", "teacher"])
    }
}

final class ConditionTests: XCTestCase {
    /// `where:` comparisons, in ASCII or with the mathematical signs the documentation shows.
    func testWhereAcceptsEveryOperatorSpelling() throws {
        for (text, op) in [(">= 0.5", Condition.Op.ge), ("≥ 0.5", .ge), ("<= 0.5", .le), ("≤ 0.5", .le), ("!= 0.5", .ne), ("≠ 0.5", .ne),
                           ("> 0.5", .gt), ("< 0.5", .lt), ("== 0.5", .eq), ("0.5", .eq)] {
            let s = try StudyParser.parse("task: { modulus: 13 }\nsweep: { task.train_fraction: [0.4, 0.5] }\nexpect:\n"
                + "  - { event: generalization, reached_in_fraction_of_trials: 0.5, where: { task.train_fraction: \"\(text)\" } }\n", file: "w.yaml")
            let c = try XCTUnwrap(s.expectations.first?.conditions.first)
            XCTAssertEqual(c.op, op, text)
            XCTAssertEqual(c.value.asDouble, 0.5, text)
        }
    }
}
