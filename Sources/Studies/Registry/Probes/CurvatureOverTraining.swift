// probes.curvature_points: the flatness measures over training, not only at the snapshots: the training
// loss's Hessian top eigenvalue and the sharpness (as the Sharpness probe computes them) as curve.csv
// columns, measured on a log schedule of their own with about this many steps over the budget (each
// measurement costs about 2 × 20 gradients and 8 losses of the training set), left empty at the other
// evaluations. The progress-measure ranking then reads them at its landmarks and fits their change points.
import Training

struct CurvatureOverTraining: ProbeKind, TrainingProbe {
    static let points = KeySpec(path: "probes.curvature_points", type: .int(min: 0, max: 10_000), defaultValue: .int(0),
                                doc: "measure the Hessian's top eigenvalue and the sharpness over training (curve.csv columns hessian_top_eigenvalue, sharpness) at the evaluations that a log schedule of this many steps over the budget reaches; 0: only at the snapshots")
    static let keys = [points]

    static func make(_ v: KeyValues) -> (any TrainingProbe)? {
        let n = v.int(points)
        return n >= 2 ? CurvatureOverTraining(points: n) : nil
    }
    static func isOff(_ values: [String: Value]) -> Bool { (values[points.path]?.asInt ?? 0) == 0 }

    static func check(_ s: StudyDraft) throws {
        if s.values(of: points).contains(.int(1)) {
            throw StudyError(s.at(points), "probes.curvature_points is 1: a log schedule needs at least 2 steps (the first and the budget)",
                             hint: "use 0 (off) or 2 or more")
        }
    }

    let points: Int
    var columns: [String] { ["hessian_top_eigenvalue", "sharpness"] }
    var method: String {
        "curve columns hessian_top_eigenvalue and sharpness (as the snapshots' fields) at the evaluations reached by a log schedule of \(points) steps over the budget, empty elsewhere"
    }

    func measure(_ c: ProbeContext) -> [Double] {
        guard c.due(points: points) else { return [.nan, .nan] }
        let h = c.hessian(Sharpness.hessianIterations, Sharpness.hessianStep, c.rng.split("hessian-step-\(c.step)"))
        let s = c.sharpness(Sharpness.relative, Sharpness.samples, c.rng.split("sharpness-step-\(c.step)"))
        return [h?.value ?? .nan, s ?? .nan]
    }

    func snapshot(_ c: ProbeContext, name: String) -> [(String, JSON)] { [] }
}
