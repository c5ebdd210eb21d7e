// Checkpoints of a long trial: <results>/checkpoints/<trial id>.ckpt, written atomically (temporary file,
// then rename) every `training.checkpoint_every` steps and removed once the trial's folder is in place.
// A re-run resumes from it and reaches the same curve, bytes included, as an uninterrupted run.
//
// Format (little-endian): "DSCK", version (6), the FNV-1a 64 checksum of everything after it (the
// payload), then the payload: scalar width in bytes (4 or 8), the trial id (length-prefixed UTF-8), then Int64 fields (step, event step or −1, cursor, optimizer step, counts),
// the RNG seed and state words, the batch order, the records (step and seven Doubles, then the tensor
// norms, the probes and the label-noise accuracies, each counted), the wall-clock seconds, the parameters
// and both optimizer moments as raw scalars, and the state of each gradient transform (count, then each as
// raw scalars). Version 6; version 5 had no label-noise accuracies, version 4 no transform states and
// version 3 no checksum either: all are still read. A checkpoint that does not check out (flipped bits,
// truncation) is reported by name and the trial restarts from step 0: it never resumes from garbage.
// A checkpoint that cannot be written is recorded (`CheckpointWrites`) for the runner, which stops the
// run and says so, rather than letting a later "run it again" promise progress that was not saved.
import Foundation
import Synchronization
import Linalg
import Models
import Training

struct BinaryWriter {
    var data = Data()
    mutating func int(_ v: Int) { var x = Int64(v).littleEndian; withUnsafeBytes(of: &x) { data.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { var x = v.littleEndian; withUnsafeBytes(of: &x) { data.append(contentsOf: $0) } }
    mutating func double(_ v: Double) { u64(v.bitPattern) }
    mutating func string(_ s: String) { let b = Array(s.utf8); int(b.count); data.append(contentsOf: b) }
    mutating func scalars<T: Scalar>(_ a: [T]) {
        int(a.count)
        a.withUnsafeBytes { data.append(contentsOf: $0) }
    }
}

struct BinaryReader {
    let data: Data
    var offset = 0
    struct Truncated: Error {}
    mutating func bytes(_ n: Int) throws -> Data {
        guard n >= 0, offset + n <= data.count else { throw Truncated() }
        defer { offset += n }
        return data.subdata(in: (data.startIndex + offset)..<(data.startIndex + offset + n))
    }
    mutating func u64() throws -> UInt64 { try bytes(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } }
    mutating func int() throws -> Int { Int(Int64(bitPattern: try u64())) }
    mutating func double() throws -> Double { Double(bitPattern: try u64()) }
    mutating func string() throws -> String { String(decoding: try bytes(try int()), as: UTF8.self) }
    mutating func scalars<T: Scalar>(_: T.Type) throws -> [T] {
        let n = try int()
        guard n >= 0, n < 1 << 40 else { throw Truncated() }
        let b = try bytes(n * MemoryLayout<T>.stride)
        return b.withUnsafeBytes { raw in (0..<n).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.stride, as: T.self) } }
    }
}

/// FNV-1a, 64 bits, over bytes.
func fnv1a64<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    return h
}

enum CheckpointFile {
    static let magic = Data("DSCK".utf8)
    static let version = 6
    /// Magic, version and checksum: the payload starts here.
    static let headerSize = 4 + 8 + 8

    static func encode<M: Classifier>(_ s: Trainer<M>.State, trialID: String) -> Data {
        let payload = encodePayload(s, trialID: trialID)
        var w = BinaryWriter()
        w.data.append(magic)
        w.int(version)
        w.u64(payload.withUnsafeBytes { fnv1a64($0) })
        w.data.append(payload)
        return w.data
    }

    static func encodePayload<M: Classifier>(_ s: Trainer<M>.State, trialID: String) -> Data {
        typealias T = M.T
        var w = BinaryWriter()
        w.int(MemoryLayout<T>.size)
        w.string(trialID)
        w.int(s.step); w.int(s.eventStep ?? -1); w.int(s.cursor); w.int(s.optimizerStep)
        w.u64(s.rng.seed)
        for x in s.rng.stateWords { w.u64(x) }
        w.int(s.order.count); for o in s.order { w.int(o) }
        w.int(s.records.count)
        for r in s.records {
            w.int(r.step)
            for v in [r.trainLoss, r.trainAccuracy, r.valLoss, r.valAccuracy, r.weightNorm, r.learningRate, r.softmaxCollapse] { w.double(v) }
            w.int(r.tensorNorms.count); for v in r.tensorNorms { w.double(v) }
            w.int(r.probes.count); for v in r.probes { w.double(v) }
            let noise = r.noise?.values ?? []
            w.int(noise.count); for v in noise { w.double(v) }
        }
        w.int(s.wallSeconds.count); for v in s.wallSeconds { w.double(v) }
        w.scalars(s.parameters); w.scalars(s.firstMoment); w.scalars(s.secondMoment)
        w.int(s.transformStates.count); for t in s.transformStates { w.scalars(t) }
        return w.data
    }

    /// The state in a checkpoint, or nil when the file is not a complete, intact checkpoint of this trial.
    static func decode<M: Classifier>(_ data: Data, trialID: String, as: M.Type) -> Trainer<M>.State? {
        try? decodeChecked(data, trialID: trialID, as: M.self)
    }

    /// Why a checkpoint cannot be resumed from.
    struct Unusable: Error, CustomStringConvertible {
        let description: String
    }

    /// The state in a checkpoint, or an error saying why the file cannot be resumed from.
    static func decodeChecked<M: Classifier>(_ data: Data, trialID: String, as: M.Type) throws -> Trainer<M>.State {
        typealias T = M.T
        var r = BinaryReader(data: data)
        let fileVersion: Int
        do {
            guard try r.bytes(4) == magic else { throw Unusable(description: "it is not a descent checkpoint") }
            fileVersion = try r.int()
        } catch is BinaryReader.Truncated {
            throw Unusable(description: "it is truncated (\(data.count) bytes)")
        }
        switch fileVersion {
        case 3: break   // before checksums: read as it is
        case 4, 5, CheckpointFile.version:
            guard data.count >= headerSize, let stored = try? r.u64() else { throw Unusable(description: "it is truncated (\(data.count) bytes)") }
            let actual = data.withUnsafeBytes { fnv1a64($0[headerSize...]) }
            guard stored == actual else {
                throw Unusable(description: "its checksum does not match (stored \(String(format: "%016llx", stored)), computed \(String(format: "%016llx", actual))): the file is corrupt")
            }
        default:
            throw Unusable(description: "it has format version \(fileVersion), which this descent does not read")
        }
        guard let state = decodePayload(&r, data: data, trialID: trialID, transforms: fileVersion >= 5, noise: fileVersion >= 6, as: M.self) else {
            throw Unusable(description: "it does not hold a complete checkpoint of trial \(trialID) in \(MemoryLayout<T>.size == 4 ? "float32" : "float64")")
        }
        return state
    }

    static func decodePayload<M: Classifier>(_ r: inout BinaryReader, data: Data, trialID: String, transforms: Bool, noise: Bool, as: M.Type) -> Trainer<M>.State? {
        typealias T = M.T
        do {
            guard try r.int() == MemoryLayout<T>.size, try r.string() == trialID else { return nil }
            let step = try r.int(), event = try r.int(), cursor = try r.int(), optStep = try r.int()
            let seed = try r.u64()
            let words = [try r.u64(), try r.u64(), try r.u64(), try r.u64()]
            let nOrder = try r.int()
            guard nOrder >= 0 && nOrder < 1 << 32 else { return nil }
            var order: [Int] = []; order.reserveCapacity(nOrder)
            for _ in 0..<nOrder { order.append(try r.int()) }
            let nRec = try r.int()
            guard nRec >= 0 && nRec < 1 << 24 else { return nil }
            var records: [EvalRecord] = []
            for _ in 0..<nRec {
                let st = try r.int()
                let v = try (0..<7).map { _ in try r.double() }
                let nNorms = try r.int()
                guard nNorms >= 0 && nNorms < 1 << 16 else { return nil }
                let norms = try (0..<nNorms).map { _ in try r.double() }
                let nProbes = try r.int()
                guard nProbes >= 0 && nProbes < 1 << 16 else { return nil }
                var rec = EvalRecord(step: st, trainLoss: v[0], trainAccuracy: v[1], valLoss: v[2], valAccuracy: v[3],
                                     weightNorm: v[4], tensorNorms: norms, learningRate: v[5], softmaxCollapse: v[6])
                rec.probes = try (0..<nProbes).map { _ in try r.double() }
                if noise {
                    let n = try r.int()
                    guard n == 0 || n == NoiseAccuracy.columns.count else { return nil }
                    if n > 0 { rec.noise = NoiseAccuracy(values: try (0..<n).map { _ in try r.double() }) }
                }
                records.append(rec)
            }
            let nWall = try r.int()
            guard nWall == nRec else { return nil }
            let wall = try (0..<nWall).map { _ in try r.double() }
            let params = try r.scalars(T.self), m = try r.scalars(T.self), v = try r.scalars(T.self)
            var states: [[T]] = []
            if transforms {
                let n = try r.int()
                guard n >= 0 && n < 1 << 10 else { return nil }
                for _ in 0..<n { states.append(try r.scalars(T.self)) }
            }
            guard r.offset == data.count else { return nil }
            return Trainer<M>.State(step: step, records: records, wallSeconds: wall, eventStep: event < 0 ? nil : event,
                                         rng: RNG(seed: seed, state: words), order: order, cursor: cursor, optimizerStep: optStep,
                                         parameters: params, firstMoment: m, secondMoment: v, transformStates: states)
        } catch {
            return nil
        }
    }
}

extension CheckpointFile {
    /// The state to resume a trial from: nil when there is no checkpoint, and nil with a warning naming
    /// the file when there is one that cannot be used (corrupt, truncated, another trial's or precision's),
    /// which is then removed so that the trial starts again from step 0.
    static func load<M: Classifier>(_ file: URL, trialID: String, as: M.Type) -> Trainer<M>.State? {
        guard let bytes = try? Data(contentsOf: file) else { return nil }
        do {
            return try decodeChecked(bytes, trialID: trialID, as: M.self)
        } catch {
            warn("the checkpoint '\(file.path)' cannot be resumed from: \(error); trial \(trialID) starts again from step 0")
            try? FileManager.default.removeItem(at: file)
            return nil
        }
    }

    /// Writes a trial's checkpoint, and before it the probes' sidecar when there is one. A failure is
    /// recorded in `CheckpointWrites` for the runner to act on (the trainer's callback cannot throw).
    static func save<M: Classifier>(_ state: Trainer<M>.State, trialID: String, sidecar: (() -> String)?, to ck: TrialRunner.Checkpointing) {
        let file = ck.file(trialID)
        do {
            do {
                try FileManager.default.createDirectory(at: ck.directory, withIntermediateDirectories: true)
            } catch {
                throw WriteError(path: ck.directory.path, bytes: 0, error: error)
            }
            // The probes first: a sidecar newer than its checkpoint is cut back to the checkpoint's step.
            if let sidecar { try writeAtomically(sidecar(), to: ck.probesFile(trialID)) }
            try writeAtomically(encode(state, trialID: trialID), to: file)
        } catch {
            CheckpointWrites.record(WriteError(path: file.path, bytes: 0, error: error), file: file, step: state.step)
        }
    }

    /// A warning on standard error, on a line of its own.
    static func warn(_ message: String) {
        let clearLine = isatty(STDERR_FILENO) == 1 ? "\r\u{1B}[K" : ""   // over the progress line on a terminal
        FileHandle.standardError.write(Data((clearLine + "descent: warning: " + message + "\n").utf8))
    }
}

/// Checkpoints that could not be written, by file, for the runner: it polls `any` between steps (cheap)
/// and takes a trial's failure when the trial returns.
public enum CheckpointWrites {
    public struct Failure: Sendable {
        public let error: WriteError
        /// The step whose state was lost.
        public let step: Int
    }
    static let lock = NSLock()
    nonisolated(unsafe) static var failures: [String: Failure] = [:]
    static let count = Atomic<Int>(0)

    static func record(_ error: WriteError, file: URL, step: Int) {
        lock.lock(); defer { lock.unlock() }
        if failures[file.path] == nil { failures[file.path] = Failure(error: error, step: step) }
        count.store(failures.count, ordering: .relaxed)
    }

    /// Whether any checkpoint write has failed and not been taken yet.
    public static var any: Bool { count.load(ordering: .relaxed) > 0 }

    /// The first failure recorded for a checkpoint file, removing it.
    public static func take(_ file: URL) -> Failure? {
        lock.lock(); defer { lock.unlock() }
        guard let f = failures.removeValue(forKey: file.path) else { return nil }
        count.store(failures.count, ordering: .relaxed)
        return f
    }
}
