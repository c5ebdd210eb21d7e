import ArgumentParser
import Datasets
import Foundation
import Linalg
import Models
import Studies

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the operations, model families and shipped studies.")

    func run() throws {
        print("Operations (task.operation):")
        for op in BinaryOperation.allCases {
            let note = op.isPermutation ? "permutations of S_n (task.modulus = n, 5 in the paper: 120 elements)"
                : op.needsPrimeModulus ? "modulo a prime p (y ≠ 0 for x/y)" : "modulo p"
            print("  \(op.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)) \(note)")
        }
        print("\nModel families (model.family):")
        for f in Registry.familySummaries { print("  \(f.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(f.summary)") }
        print("\nTask kinds (task.kind):")
        for t in Registry.taskSummaries { print("  \(t.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(t.summary)") }
        print("\nShipped studies:")
        guard let dir = studiesDirectory(),
              let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path).filter({ $0.hasSuffix(".yaml") }).sorted() else {
            print("  (no studies/ folder found here)")
            return
        }
        for f in files {
            let path = dir.appendingPathComponent(f).path
            do {
                if ContrastStudy.isContrast(path: path) {
                    let c = try ContrastStudy.load(path: path)
                    print("  studies/\(f)\n      \(c.question.isEmpty ? "(no question)" : c.question)\n      axis contrast: \(c.size.name) (size) against \(c.steps.name) (steps)\(c.bridge.map { ", bridge \($0.name)" } ?? ""); profiles: \(c.profileNames.joined(separator: ", "))\(c.notReproduced ? " — NOT REPRODUCED here (see the study file)" : "")")
                    continue
                }
                let s = try StudyParser.load(path: path)
                let status = s.notReproduced ? " — NOT REPRODUCED here (see the study file)" : ""
                print("  studies/\(f)\n      \(s.question.isEmpty ? "(no question)" : s.question)\n      axis \(s.axis), \(s.trials.count) trials; profiles: \(s.profileNames.joined(separator: ", "))\(status)")
            } catch {
                print("  studies/\(f)\n      INVALID: \(error)")
            }
        }
        print("\nBLAS: OpenBLAS kernel \(BLAS.coreName), \(BLAS.threads) threads")
    }
}
