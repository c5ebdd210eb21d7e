// Checkpoints of a long trial: <results>/checkpoints/<trial id>.ckpt, written atomically (temporary file,
// then rename) every `training.checkpoint_every` steps and removed once the trial's folder is in place.
// A re-run resumes from it and reaches the same curve, bytes included, as an uninterrupted run.
//
// Format (little-endian): "DSCK", version (3), scalar width in bytes (4 or 8), the trial id
// (length-prefixed UTF-8), then Int64 fields (step, event step or −1, cursor, optimizer step, counts),
// the RNG seed and state words, the batch order, the records (step and seven Doubles, then the tensor
// norms and the probes), the wall-clock seconds, and the parameters and both optimizer moments as raw scalars.
import Foundation
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

enum CheckpointFile {
    static let magic = Data("DSCK".utf8)

    static func encode<M: Classifier>(_ s: Trainer<M>.State, trialID: String) -> Data {
        typealias T = M.T
        var w = BinaryWriter()
        w.data.append(magic)
        w.int(3)
        w.int(MemoryLayout<T>.size)
        w.string(trialID)
        w.int(s.step); w.int(s.eventStep ?? -1); w.int(s.cursor); w.int(s.optimizerStep)
        w.u64(s.rng.seed)
        for x in s.rng.stateWords { w.u64(x) }
        w.int(s.order.count); for o in s.order { w.int(o) }
        w.int(s.records.count)
        for r in s.records {
            w.int(r.step)
            for v in [r.trainLoss, r.trainAccuracy, r.valLoss, r.valAccuracy, r.weightNorm, r.learningRate, r.trainSaturated] { w.double(v) }
            w.int(r.tensorNorms.count); for v in r.tensorNorms { w.double(v) }
            w.int(r.probes.count); for v in r.probes { w.double(v) }
        }
        w.int(s.wallSeconds.count); for v in s.wallSeconds { w.double(v) }
        w.scalars(s.parameters); w.scalars(s.firstMoment); w.scalars(s.secondMoment)
        return w.data
    }

    /// The state in a checkpoint, or nil when the file is not a complete checkpoint of this trial.
    static func decode<M: Classifier>(_ data: Data, trialID: String, as: M.Type) -> Trainer<M>.State? {
        typealias T = M.T
        var r = BinaryReader(data: data)
        do {
            guard try r.bytes(4) == magic, try r.int() == 3, try r.int() == MemoryLayout<T>.size, try r.string() == trialID else { return nil }
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
                                     weightNorm: v[4], tensorNorms: norms, learningRate: v[5], trainSaturated: v[6])
                rec.probes = try (0..<nProbes).map { _ in try r.double() }
                records.append(rec)
            }
            let nWall = try r.int()
            guard nWall == nRec else { return nil }
            let wall = try (0..<nWall).map { _ in try r.double() }
            let params = try r.scalars(T.self), m = try r.scalars(T.self), v = try r.scalars(T.self)
            guard r.offset == data.count else { return nil }
            return Trainer<M>.State(step: step, records: records, wallSeconds: wall, eventStep: event < 0 ? nil : event,
                                         rng: RNG(seed: seed, state: words), order: order, cursor: cursor, optimizerStep: optStep,
                                         parameters: params, firstMoment: m, secondMoment: v)
        } catch {
            return nil
        }
    }
}
