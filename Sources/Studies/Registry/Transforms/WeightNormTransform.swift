// constraint.*: the total weight norm held fixed after every update (Liu et al. 2022, Omnigrok;
// Training/Transforms/WeightNormConstraint.swift).
import Training

enum WeightNormTransform: TransformKind {
    static let norm = KeySpec(path: "constraint.weight_norm", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(0),
                              doc: "after every update, rescale all parameters together to this total norm (Omnigrok's sphere); 0: off")
    static let factor = KeySpec(path: "constraint.weight_norm_factor", type: .double(min: 0, minOpen: false, max: nil, maxOpen: false), defaultValue: .double(0),
                                doc: "the same, with the norm given as a factor of the norm at initialization; 0: off")
    static let keys = [norm, factor]

    static func decode(_ v: KeyValues) -> (any GradientTransformation)? {
        if let r = v.value(norm)?.asDouble, r > 0 { return WeightNormConstraint(.norm(r)) }
        if let f = v.value(factor)?.asDouble, f > 0 { return WeightNormConstraint(.factorOfInitial(f)) }
        return nil
    }

    static func check(_ s: StudyDraft) throws {
        if s.values(of: norm).contains(where: { ($0.asDouble ?? 0) > 0 }) && s.values(of: factor).contains(where: { ($0.asDouble ?? 0) > 0 }) {
            throw StudyError(s.at(factor, or: norm), "constraint.weight_norm and constraint.weight_norm_factor both set the norm",
                             hint: "give the norm itself or a factor of the initial norm, not both")
        }
    }
}
