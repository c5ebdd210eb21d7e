// descent bench: fixed workloads, timed. For each: steps (or solves) per second, GFLOP/s counted from
// the exact shapes of the step's matrix products (recorded while it runs), the machine's measured sgemm
// throughput for those same shapes at the same thread count beside it, their ratio, allocations per
// step in steady state (malloc interposed in this executable, descent-bench, and in no other) and peak
// resident memory. `descent bench` runs this executable with its own arguments.
import ArgumentParser
import CAllocCounter
import Datasets
import Foundation
import Linalg
import Models
import Studies
import Training

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descent bench",
        abstract: "Benchmark the training step of each workload against the machine's sgemm ceiling.",
        discussion: "Workloads: mlp-grok, mlp-grok-run (a whole run to generalization), transformer-power, transformer-nanda, random-features, mlp-width-sweep (the ci profile of a double-descent width sweep, trials in parallel). Run on an otherwise idle machine.")

    enum Workload: String, CaseIterable, ExpressibleByArgument {
        case mlpGrok = "mlp-grok", mlpGrokRun = "mlp-grok-run", transformerPower = "transformer-power"
        case transformerNanda = "transformer-nanda", randomFeatures = "random-features", mlpWidthSweep = "mlp-width-sweep"
    }

    @Option(name: .long, help: "Workloads to run (repeatable; default: all but the whole runs, mlp-grok-run and mlp-width-sweep).")
    var workload: [Workload] = []

    @Option(name: .long, help: "BLAS threads (default: every core).")
    var threads: Int?

    @Option(name: .long, help: "Seconds to time each workload for (at least).")
    var seconds: Double = 3

    @Option(name: .long, help: "The study the mlp-width-sweep workload runs (its ci profile).")
    var sweepStudy = "studies/double-descent-mlp-mnist1d.yaml"

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("A command to time beside descent, in alternating rounds (for example \"python3 benchmarks/pytorch_bench.py\").",
                                            discussion: "Run through /bin/sh with --workload W --seconds S --threads N appended, once after each of descent's rounds of mlp-grok, transformer-nanda and transformer-power; it prints a JSON object with steps_per_second."))
    var against: String?

    @Option(name: .long, help: "Rounds per step-timed workload (the rates are their medians).")
    var rounds = 5

    @Flag(name: .long, help: "Measure how a step's time grows with modulus, width, training-set size and sequence length, beside the FLOP count's prediction.")
    var scaling = false

    func validate() throws {
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256") }
        guard seconds > 0 && seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
        guard (1...99).contains(rounds) else { throw ValidationError("--rounds must be between 1 and 99") }
        if let against, against.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--against needs a command") }
    }

    struct Row: Codable {
        var workload: String
        var unit: String
        var perSecond: Double
        var gflopPerStep: Double?
        var gflops: Double?
        var sgemmCeilingGflops: Double?
        var ratio: Double?
        var allocationsPerStep: Double?
        var note: String
        /// The --against command's steps/s (median of its rounds) and descent's rate over it.
        var againstPerSecond: Double? = nil
        var speedup: Double? = nil
    }

    func run() throws {
        let nThreads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        BLAS.setThreads(nThreads)
        if scaling { return try runScaling() }
        let chosen = workload.isEmpty ? Workload.allCases.filter { $0 != .mlpGrokRun && $0 != .mlpWidthSweep } : workload
        var rows: [Row] = []
        for w in chosen {
            FileHandle.standardError.write(Data("descent bench: \(w.rawValue)…\n".utf8))
            rows.append(try measure(w))
        }
        let peak = sgemmRate(GemmShape(transA: false, transB: false, m: 2048, n: 2048, k: 2048), minSeconds: 1)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let rssMiB = Double(usage.ru_maxrss) / 1024
        if json {
            let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            struct Out: Codable { var blasKernel: String; var threads: Int; var sgemmPeakGflops: Double; var peakResidentMiB: Double; var workloads: [Row] }
            print(String(decoding: try enc.encode(Out(blasKernel: BLAS.coreName, threads: nThreads, sgemmPeakGflops: peak, peakResidentMiB: rssMiB, workloads: rows)), as: UTF8.self))
            return
        }
        print("BLAS kernel \(BLAS.coreName), \(nThreads) thread(s); sgemm 2048³: \(String(format: "%.0f", peak)) GFLOP/s; peak resident memory \(String(format: "%.0f", rssMiB)) MiB")
        print("workload            rate                GFLOP/step  GFLOP/s  sgemm same shapes  ratio  allocs/step  note")
        for r in rows {
            let rate = String(format: "%.2f %@", r.perSecond, r.unit).padding(toLength: 20, withPad: " ", startingAt: 0)
            let f = { (v: Double?, fmt: String) in v.map { String(format: fmt, $0) } ?? "—" }
            print(r.workload.padding(toLength: 20, withPad: " ", startingAt: 0) + rate
                  + f(r.gflopPerStep, "%.3f").padding(toLength: 12, withPad: " ", startingAt: 0)
                  + f(r.gflops, "%.1f").padding(toLength: 9, withPad: " ", startingAt: 0)
                  + f(r.sgemmCeilingGflops, "%.1f").padding(toLength: 19, withPad: " ", startingAt: 0)
                  + f(r.ratio.map { $0 * 100 }, "%.0f%%").padding(toLength: 7, withPad: " ", startingAt: 0)
                  + f(r.allocationsPerStep, "%.1f").padding(toLength: 13, withPad: " ", startingAt: 0) + r.note)
        }
        if let against {
            print("beside `\(against)`, in alternating rounds (medians of \(rounds)):")
            for r in rows where r.againstPerSecond != nil {
                print(r.workload.padding(toLength: 20, withPad: " ", startingAt: 0)
                      + String(format: "descent %.2f steps/s, against %.2f steps/s: %.2f×", r.perSecond, r.againstPerSecond!, r.speedup!))
            }
        }
    }

    // MARK: Workloads

    func algorithmic(_ op: BinaryOperation, p: Int, fraction: Double) throws -> TrainingData<Float> {
        let table = try OperationTable(operation: op, modulus: p)
        let (tr, va) = try table.split(trainFraction: fraction, rng: RNG(seed: 1))
        return TrainingData(train: ClassificationSplit(examples: tr), validation: ClassificationSplit(examples: va), classes: table.classes)
    }

    func adamw(warmup: Int = 0) -> OptimizerConfig {
        var o = OptimizerConfig(); o.weightDecay = 1; o.beta2 = 0.98; o.warmupSteps = warmup
        return o
    }

    func measure(_ w: Workload) throws -> Row {
        switch w {
        case .mlpGrok:
            let data = try algorithmic(.add, p: 97, fraction: 0.5)
            let model = MLP<Float>(config: MLPConfig(input: .embedding(dimension: 128), vocabulary: 97, hidden: [512], classes: 97),
                                   capacity: data.train.count, rng: RNG(seed: 2))
            let trainer = Trainer(model: model, optimizer: adamw(), config: TrainingConfig(), data: data, rng: RNG(seed: 3))
            return try timeSteps("mlp-grok", note: "x+y mod 97, fraction 0.5, full batch \(data.train.count), AdamW, \(trainer.team.size) shard thread(s)", trainer) { _ = trainer.step() }
        case .transformerPower:
            let data = try algorithmic(.divide, p: 97, fraction: 0.5)
            let cfg = TransformerConfig(operands: 97, classes: 97, opToken: true, layers: 2, dModel: 128, heads: 4, dMLP: 512, layerNorm: .pre)
            let model = Transformer<Float>(config: cfg, capacity: 512, rng: RNG(seed: 2))
            var tc = TrainingConfig(); tc.batchSize = 512
            let trainer = Trainer(model: model, optimizer: adamw(warmup: 10), config: tc, data: data, rng: RNG(seed: 3))
            return try timeSteps("transformer-power", note: "x/y mod 97, 2 layers, d 128, minibatch 512", trainer) { _ = trainer.step() }
        case .transformerNanda:
            let data = try algorithmic(.add, p: 113, fraction: 0.3)
            let cfg = TransformerConfig(operands: 113, classes: 113, opToken: false, layers: 1, dModel: 128, heads: 4, dHead: 32, dMLP: 512, layerNorm: .none)
            let model = Transformer<Float>(config: cfg, capacity: data.train.count, rng: RNG(seed: 2))
            let trainer = Trainer(model: model, optimizer: adamw(), config: TrainingConfig(), data: data, rng: RNG(seed: 3))
            return try timeSteps("transformer-nanda", note: "x+y mod 113, 1 layer, full batch \(data.train.count)", trainer) { _ = trainer.step() }
        case .mlpGrokRun:
            let data = try algorithmic(.add, p: 97, fraction: 0.5)
            let model = MLP<Float>(config: MLPConfig(input: .embedding(dimension: 128), vocabulary: 97, hidden: [512], classes: 97),
                                   capacity: data.train.count, rng: RNG(seed: 2))
            var tc = TrainingConfig(); tc.maxSteps = 20_000; tc.stopEvent = EventRule(metric: .valAccuracy, atLeast: 0.99)
            let trainer = Trainer(model: model, optimizer: adamw(), config: tc, data: data, rng: RNG(seed: 3))
            let start = Date()
            let out = trainer.run()
            let wall = Date().timeIntervalSince(start)
            let evalStart = Date()
            for _ in 0..<5 { _ = trainer.record(step: 0) }
            let evalShare = Date().timeIntervalSince(evalStart) / 5 * Double(out.records.count) / wall
            let gen = out.records.first { $0.valAccuracy >= 0.99 }?.step
            return Row(workload: "mlp-grok-run", unit: "s", perSecond: wall, gflopPerStep: nil, gflops: nil, sgemmCeilingGflops: nil, ratio: nil,
                       allocationsPerStep: nil,
                       note: "whole run to validation accuracy ≥ 0.99: \(gen.map { "generalized at step \($0)" } ?? "did not generalize"), \(out.stepsRun) steps, \(out.records.count) evaluations (\(String(format: "%.1f", 100 * evalShare)) % of the time); rate column is wall seconds")
        case .mlpWidthSweep:
            return try widthSweep(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        case .randomFeatures:
            let digits = try ClassificationData.digits()
            var rng = RNG(seed: 1)
            var (train, test) = try digits.split(train: 1000, rng: &rng)
            let stdz = Standardizer(fitting: train.x)
            train.x = stdz.apply(train.x); test.x = stdz.apply(test.x)
            var notes: [String] = []
            var total = 0.0, solves = 0
            for n in [500, 1000, 2000, 5000] {
                let t0 = Date()
                _ = try runRandomFeatures(kind: .relu, features: n, classes: 10, trainX: train.x, trainLabels: train.labels,
                                          testX: test.x, testLabels: test.labels, rng: RNG(seed: 3))
                let dt = Date().timeIntervalSince(t0)
                notes.append("N=\(n): \(String(format: "%.2f", dt)) s")
                total += dt; solves += 1
            }
            return Row(workload: "random-features", unit: "solves/s", perSecond: Double(solves) / total, gflopPerStep: nil, gflops: nil,
                       sgemmCeilingGflops: nil, ratio: nil, allocationsPerStep: nil,
                       note: "digits n=1000, ReLU, min-norm (Float64 gelsd): " + notes.joined(separator: ", "))
        }
    }

    /// The ci profile of a double-descent width sweep, run as `descent run --jobs <threads>` would (one
    /// trial per core, each single-threaded), into a temporary folder. Every product of every trial is
    /// recorded; the ceiling is each distinct shape's sgemm rate at the trials' thread count, with the
    /// workers in parallel.
    func widthSweep(threads: Int) throws -> Row {
        let study: Study
        do { study = try StudyParser.load(path: sweepStudy, profile: "ci"); for t in study.trials { try TrialRunner.validate(t) } } catch {
            throw ValidationError("mlp-width-sweep: cannot load '\(sweepStudy)' (run from the repository, or pass --sweep-study): \(error)")
        }
        guard study.axis == "size" else { throw ValidationError("mlp-width-sweep: '\(sweepStudy)' is not a size-axis study") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("descent-bench-sweep-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ResultsStore(root: dir)
        try store.prepare(study, sourceText: (try? String(contentsOfFile: sweepStudy, encoding: .utf8)) ?? "", force: true)
        let jobs = min(threads, study.trials.count)
        let runner = StudyRunner(study: study, store: store, jobs: jobs)
        GemmRecorder.start()
        let a0 = descent_allocation_count()
        let report = runner.run()
        let shapes = GemmRecorder.stop()
        let allocs = descent_allocation_count() - a0
        guard report.failed.isEmpty, report.finished == study.trials.count else {
            throw ValidationError("mlp-width-sweep: \(report.failed.count) of \(study.trials.count) trials failed: \(report.failed.first?.1 ?? "")")
        }
        let steps = study.trials.compactMap { store.completed($0)?.stepsRun }.reduce(0, +)
        var counts: [GemmShape: Int] = [:]
        for s in shapes { counts[s, default: 0] += 1 }
        BLAS.setThreads(jobs > 1 ? 1 : threads)
        defer { BLAS.setThreads(threads) }
        var ceilingTime = 0.0
        for (shape, count) in counts.sorted(by: { $0.key.flops * Double($0.value) > $1.key.flops * Double($1.value) }) {
            ceilingTime += Double(count) * shape.flops / (sgemmRate(shape, minSeconds: 0.05) * 1e9)
        }
        ceilingTime /= Double(jobs)
        let flops = shapes.reduce(0) { $0 + $1.flops }
        let achieved = flops / report.seconds / 1e9
        let ceiling = ceilingTime > 0 ? flops / ceilingTime / 1e9 : nil
        return Row(workload: "mlp-width-sweep", unit: "trials/min", perSecond: Double(report.finished) / report.seconds * 60,
                   gflopPerStep: flops / Double(max(steps, 1)) / 1e9, gflops: achieved, sgemmCeilingGflops: ceiling, ratio: ceiling.map { achieved / $0 },
                   allocationsPerStep: Double(allocs) / Double(max(steps, 1)),
                   note: "\(study.name) ci: \(report.finished) trials, \(jobs) at a time, \(steps) steps in \(String(format: "%.1f", report.seconds)) s "
                       + "(\(String(format: "%.0f", Double(steps) / report.seconds)) steps/s); \(counts.count) distinct product shapes; "
                       + "allocations and GFLOP per step include evaluation and saving results")
    }

    /// One cost-growth row: a configuration's step time and FLOPs, relative to the first of its group.
    struct ScalingRow { let group: String; let setting: String; let seconds: Double; let gflop: Double }

    func runScaling() throws {
        var rows: [ScalingRow] = []
        func mlp(_ group: String, _ setting: String, p: Int, fraction: Double, width: Int) throws {
            let data = try algorithmic(.add, p: p, fraction: fraction)
            let model = MLP<Float>(config: MLPConfig(input: .embedding(dimension: 128), vocabulary: p, hidden: [width], classes: p),
                                   capacity: data.train.count, rng: RNG(seed: 2))
            let trainer = Trainer(model: model, optimizer: adamw(), config: TrainingConfig(), data: data, rng: RNG(seed: 3))
            let row = try timeSteps(group, note: "", trainer) { _ = trainer.step() }
            rows.append(ScalingRow(group: group, setting: setting, seconds: 1 / row.perSecond, gflop: row.gflopPerStep ?? 0))
        }
        for p in [31, 59, 97, 113] { try mlp("MLP: modulus p (fraction 0.5, width 512)", "p = \(p)", p: p, fraction: 0.5, width: 512) }
        for w in [128, 256, 512, 1024] { try mlp("MLP: width (p = 97, fraction 0.5)", "width \(w)", p: 97, fraction: 0.5, width: w) }
        for f in [0.2, 0.4, 0.6, 0.8] { try mlp("MLP: training-set size (p = 97, width 512)", "fraction \(f) (\(Int((f * 9409).rounded())) pairs)", p: 97, fraction: f, width: 512) }
        for opToken in [false, true] {
            let data = try algorithmic(.add, p: 97, fraction: 0.3)
            let cfg = TransformerConfig(operands: 97, classes: 97, opToken: opToken, layers: 1, dModel: 128, heads: 4, dMLP: 512, layerNorm: .none)
            let model = Transformer<Float>(config: cfg, capacity: data.train.count, rng: RNG(seed: 2))
            let trainer = Trainer(model: model, optimizer: adamw(), config: TrainingConfig(), data: data, rng: RNG(seed: 3))
            let row = try timeSteps("t", note: "", trainer) { _ = trainer.step() }
            rows.append(ScalingRow(group: "Transformer: sequence length (1 layer, p = 97, fraction 0.3, full batch)", setting: "T = \(cfg.sequenceLength)",
                                   seconds: 1 / row.perSecond, gflop: row.gflopPerStep ?? 0))
        }
        print("| growing | setting | ms per step | GFLOP per step | time ratio | FLOP ratio (prediction) |")
        print("|---|---|---|---|---|---|")
        var base: [String: ScalingRow] = [:]
        for r in rows {
            let b = base[r.group] ?? r
            base[r.group] = b
            print("| \(r.group) | \(r.setting) | \(String(format: "%.2f", 1000 * r.seconds)) | \(String(format: "%.3f", r.gflop)) | \(String(format: "%.2f", r.seconds / b.seconds)) | \(String(format: "%.2f", r.gflop / b.gflop)) |")
        }
    }

    /// Warm-up and one recorded step (its product shapes), then `rounds` rounds, each timing steps for its
    /// share of `seconds`, then the sgemm ceiling of the step's shapes, then (with --against) the other
    /// command on the same workload; the rates and the ratio are the
    /// medians over the rounds. Timing the two in alternation keeps a machine whose speed drifts (a
    /// shared virtual machine) from putting a fast ceiling beside slow steps. Steps run as the trainer's
    /// `run` runs them (`onTeam`); allocations are counted over the timed steps.
    func timeSteps<M: Classifier>(_ name: String, note: String, _ trainer: Trainer<M>, _ step: () -> Void) throws -> Row {
        let threads = BLAS.threads
        var shapes: [GemmShape] = []
        trainer.onTeam {
            for _ in 0..<3 { step() }
            GemmRecorder.start()
            step()
            shapes = GemmRecorder.stop()
        }
        let flops = shapes.reduce(0) { $0 + $1.flops }
        var stepRates: [Double] = [], ceilings: [Double] = [], ratios: [Double] = [], againstRates: [Double] = []
        var allocations: UInt64 = 0, totalSteps = 0
        for _ in 0..<rounds {
            var n = 0
            var wall = 0.0
            trainer.onTeam {
                let a0 = descent_allocation_count()
                let start = Date()
                while Date().timeIntervalSince(start) < seconds / Double(rounds) || n < 3 { step(); n += 1 }
                wall = Date().timeIntervalSince(start)
                allocations += descent_allocation_count() - a0
            }
            totalSteps += n
            stepRates.append(Double(n) / wall)
            // The ceiling: the step's products, each timed alone at the best the machine does with these threads.
            var ceilingTime = 0.0
            var rates: [GemmShape: Double] = [:]
            for s in shapes {
                if rates[s] == nil { rates[s] = sgemmCeiling(s, threads: threads) }
                ceilingTime += s.flops / (rates[s]! * 1e9)
            }
            if ceilingTime > 0 {
                ceilings.append(flops / ceilingTime / 1e9)
                ratios.append(flops * Double(n) / wall / 1e9 / ceilings.last!)
            }
            if let against, [Workload.mlpGrok, .transformerNanda, .transformerPower].contains(where: { $0.rawValue == name }) {
                againstRates.append(try runAgainst(against, workload: name, threads: threads))
            }
        }
        func median(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.sorted()[xs.count / 2] }
        let rate = median(stepRates)!
        let other = median(againstRates)
        return Row(workload: name, unit: "steps/s", perSecond: rate, gflopPerStep: flops / 1e9, gflops: flops * rate / 1e9,
                   sgemmCeilingGflops: median(ceilings), ratio: median(ratios), allocationsPerStep: Double(allocations) / Double(totalSteps),
                   note: note + "; \(shapes.count) products per step; medians of \(rounds) rounds", againstPerSecond: other, speedup: other.map { rate / $0 })
    }

    /// One round of the --against command for a workload: its steps/s, from the JSON object it prints last.
    func runAgainst(_ command: String, workload: String, threads: Int) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let perRound = String(format: "%.2f", max(1, seconds / Double(rounds)))
        process.arguments = ["-c", "\(command) --workload \(workload) --seconds \(perRound) --threads \(threads)"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("--against: `\(command) --workload \(workload)` exited with status \(process.terminationStatus)")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        struct Reply: Decodable { let steps_per_second: Double }
        guard let last = lines.last, let reply = try? JSONDecoder().decode(Reply.self, from: Data(last.utf8)), reply.steps_per_second > 0 else {
            throw ValidationError("--against: `\(command) --workload \(workload)` printed no JSON object with a positive steps_per_second as its last line")
        }
        return reply.steps_per_second
    }

    /// The machine's sgemm rate for one shape with `threads` threads: the better of OpenBLAS running each
    /// product on all of them and `threads` products running side by side on one thread each (how the
    /// data-parallel MLP step uses them).
    func sgemmCeiling(_ s: GemmShape, threads: Int) -> Double {
        let pooled = sgemmRate(s, minSeconds: 0.05)
        guard threads > 1 else { return pooled }
        let team = WorkerTeam(size: threads)
        var rates = [Double](repeating: 0, count: threads)
        withSingleThreadedBLAS {
            rates.withUnsafeMutableBufferPointer { r in
                let out = r.baseAddress!
                team.run(tasks: threads) { t in out[t] = sgemmRate(s, minSeconds: 0.05) }
            }
        }
        // Side by side, the machine's rate is the sum over the threads (each timed over the same span).
        return max(pooled, rates.reduce(0, +))
    }

    /// GFLOP/s of sgemm alone for one shape (random data, the same transposes), best of repeated runs.
    func sgemmRate(_ s: GemmShape, minSeconds: Double) -> Double {
        let aCount = s.m * s.k, bCount = s.k * s.n
        var rng = RNG(seed: 5)
        let a = (0..<aCount).map { _ in Float(rng.uniform() - 0.5) }
        let b = (0..<bCount).map { _ in Float(rng.uniform() - 0.5) }
        var c = [Float](repeating: 0, count: s.m * s.n)
        let lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n
        func once() { Float.gemm(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: &c, ldc: s.n) }
        once()
        var reps = 0
        let start = Date()
        while Date().timeIntervalSince(start) < minSeconds || reps < 3 { once(); reps += 1 }
        return s.flops * Double(reps) / Date().timeIntervalSince(start) / 1e9
    }
}
