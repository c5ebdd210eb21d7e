// grokfast.*: Grokfast's gradient filters (Lee et al. 2024; Training/Transforms/Grokfast.swift).
import Training

enum GrokfastTransform: TransformKind {
    static let filter = KeySpec(path: "grokfast.filter", type: .choice(["none", "ema", "ma"]), defaultValue: .string("none"),
                                doc: "Grokfast (Lee et al. 2024): amplify the slow part of the gradient before the optimizer; ema: h ← αh + (1 − α)g, g ← g + λh; ma: g ← g + λ · the mean of the last w gradients (once w are kept)")
    static let alpha = KeySpec(path: "grokfast.alpha", type: .double(min: 0, minOpen: false, max: 1, maxOpen: true), defaultValue: .double(0.98), doc: "ema: α, the average's memory (the README's 0.98)")
    static let window = KeySpec(path: "grokfast.window", type: .int(min: 1, max: 100_000), defaultValue: .int(100), doc: "ma: w, the gradients averaged (the README's 100)")
    static let lambda = KeySpec(path: "grokfast.lambda", type: .double(min: 0, minOpen: false, max: 1000, maxOpen: false), defaultValue: .double(2), doc: "λ, the amplification (the README: 2 with ema, 5 with ma)")
    static let keys = [filter, alpha, window, lambda]

    static func decode(_ v: KeyValues) -> (any GradientTransformation)? {
        switch v.value(filter)?.asString {
        case "ema"?: return GrokfastEMA(alpha: v.double(alpha), lambda: v.double(lambda))
        case "ma"?: return GrokfastMA(window: v.int(window), lambda: v.double(lambda))
        default: return nil
        }
    }

    static func check(_ s: StudyDraft) throws {
        let filters = s.values(of: filter).compactMap(\.asString)
        guard filters.allSatisfy({ $0 == "none" }) else { return }
        for k in [alpha, window, lambda] {
            if let loc = s.locations[k.path] ?? s.sweep.first(where: { $0.path == k.path })?.location {
                throw StudyError(loc, "\(k.path) is set but grokfast.filter is 'none', so it does nothing", hint: "set grokfast.filter: ema or ma, or remove \(k.path)")
            }
        }
    }
}
