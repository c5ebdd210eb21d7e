// The size-axis expectations of a study's `expect` block (peak location, height and prominence,
// convergence, agreement with theory, an epoch-wise fall-rise-fall), each verdict saying what was
// measured and against what.
import Analysis
import Foundation
import Studies

enum SizeExpectationEvaluator {
    static func f(_ x: Double?, _ digits: Int = 3) -> String { Format.fixed(x, digits) }
    static func iv(_ i: Interval?) -> String { Format.interval(i) }
    static func name(_ c: SizeConfiguration) -> String { c.key.isEmpty ? "(single configuration)" : c.key }

    static func evaluate(_ e: Expectation, _ kind: SizeExpectation, _ trials: [Trial], _ r: StudyResults, scope: String) -> ExpectationResult {
        func result(_ ok: Bool, _ detail: String) -> ExpectationResult { ExpectationResult(expectation: e, passed: ok, detail: detail) }
        if case .fallRiseFall(let prom) = kind { return fallRiseFall(e, prom, trials, r, scope: scope) }
        if case .convergedFraction(let frac) = kind {
            let done = trials.compactMap { r.summaries[$0.id] }
            let conv = done.filter { s in ((s.raw["size"] as? [String: Any])?["converged"] as? Bool) ?? (s.status == "done") }.count
            let share = Double(conv) / Double(max(trials.count, 1))
            return result(share >= frac, "\(conv) of \(trials.count) trials\(scope) converged (\(ExpectationEvaluator.pct(share))); needed at least \(ExpectationEvaluator.pct(frac))")
        }
        if case .peakHigher(let higher, let lower) = kind {
            let a = trials.filter { t in higher.allSatisfy { $0.holds(t.value(at: $0.path)) } }
            let b = trials.filter { t in lower.allSatisfy { $0.holds(t.value(at: $0.path)) } }
            let ca = SizeData.configurations(r, trials: a), cb = SizeData.configurations(r, trials: b)
            guard ca.count == 1, cb.count == 1, let ma = try? ca[0].measures(), let mb = try? cb[0].measures() else {
                return result(false, "peak_higher needs exactly one configuration with results on each side (got \(ca.count) and \(cb.count))")
            }
            return result(ma.peakHeight > mb.peakHeight,
                          "peak of \(name(ca[0])): \(f(ma.peakHeight)) \(iv(ma.peakHeightInterval)) at \(Int(ma.peakSize)); peak of \(name(cb[0])): \(f(mb.peakHeight)) \(iv(mb.peakHeightInterval)) at \(Int(mb.peakSize)); needed the first higher")
        }
        let configs = SizeData.configurations(r, trials: trials)
        guard !configs.isEmpty else { return result(false, "no configuration\(scope)") }
        if case .moreDataHurts(let holds, let rise, let steps) = kind { return moreDataHurts(e, holds, rise, steps, configs, scope: scope) }
        var ok = true
        var parts: [String] = []
        for c in configs {
            guard c.sizes.count >= 2, let m = try? c.measures() else { ok = false; parts.append("\(name(c)): fewer than 2 sizes with results"); continue }
            var pass = false, text = ""
            switch kind {
            case .peakWithin(let lo, let hi):
                let n = Double(c.nTrain)
                pass = m.peakIsInterior && m.peakSize >= lo * n && m.peakSize <= hi * n
                text = "peak at \(Int(m.peakSize)) = \(f(m.peakSize / n, 2)) × n_train \(c.nTrain) (95 % bootstrap interval \(iv(m.peakSizeInterval).replacingOccurrences(of: ".000", with: ""))), height \(f(m.peakHeight)); needed [\(f(lo * n, 0)), \(f(hi * n, 0))]" + (m.peakIsInterior ? "" : " and an interior peak")
            case .peakOverFarRight(let k):
                pass = (m.peakOverFarRight ?? 0) >= k
                text = "peak \(f(m.peakHeight)) at \(Int(m.peakSize)) / largest model \(f(m.farRight)) at \(Int(m.farRightSize)) = \(f(m.peakOverFarRight, 2)) \(iv(m.peakOverFarRightInterval)); needed ≥ \(k)"
            case .peakNearThreshold(let eps, let steps):
                let sizes = c.sizes
                guard let th = m.thresholds.first(where: { $0.epsilon == eps })?.size ?? c.sizes.first(where: { c.meanTrain($0) <= eps }).map(Double.init) else {
                    pass = false; text = "no size reaches mean train error ≤ \(eps): no interpolation threshold"; break
                }
                let ip = sizes.firstIndex(of: Int(m.peakSize))!, it = sizes.firstIndex(of: Int(th))!
                pass = abs(ip - it) <= steps
                text = "peak at \(Int(m.peakSize)) (grid index \(ip)), threshold (mean train error ≤ \(eps)) at \(Int(th)) (index \(it)): \(abs(ip - it)) grid steps apart; needed ≤ \(steps)"
            case .peakProminent:
                let ps = Int(m.peakSize)
                guard let cs = m.classicalMinimumSize.map({ Int($0) }), let cm = m.classicalMinimum else {
                    pass = false; text = "the peak is at the smallest size: no classical minimum to its left"; break
                }
                let fs = Int(m.farRightSize)
                let s1 = max(c.sd(ps), c.sd(cs)), s2 = max(c.sd(ps), c.sd(fs))
                pass = m.peakIsInterior && m.peakHeight - cm > s1 && m.peakHeight - m.farRight > s2
                text = "peak \(f(m.peakHeight)) at \(ps) − classical minimum \(f(cm)) at \(cs) = \(f(m.peakHeight - cm)) vs seed SD \(f(s1)); peak − largest model \(f(m.farRight)) at \(fs) = \(f(m.peakHeight - m.farRight)) vs seed SD \(f(s2)); needed both differences above the SD"
            case .matchesTheory(let z, let dmin):
                var checked = 0, worst = 0.0, worstP = 0, bad: [String] = []
                for p in c.sizes where abs(p - c.nTrain) >= dmin {
                    guard let th = c.theory(p), th.isFinite else { continue }
                    let k = c.at(p).count
                    let se = c.sd(p) / Double(k).squareRoot()
                    let zz = se > 0 ? abs(c.mean(p) - th) / se : (c.mean(p) == th ? 0 : .infinity)
                    checked += 1
                    if zz > worst { worst = zz; worstP = p }
                    if zz > z { bad.append("p = \(p): mean \(f(c.mean(p))) vs theory \(f(th)), \(f(zz, 1)) SE") }
                }
                pass = checked > 0 && bad.isEmpty
                text = "\(checked) sizes with |p − \(c.nTrain)| ≥ \(dmin) checked against the exact min-norm risk; largest deviation \(f(worst, 2)) standard errors (p = \(worstP)); needed ≤ \(z)" + (bad.isEmpty ? "" : "; outside: " + bad.prefix(4).joined(separator: "; "))
            default: break
            }
            ok = ok && pass
            parts.append((configs.count > 1 || !c.key.isEmpty ? "\(name(c)): " : "") + text)
        }
        return result(ok, parts.joined(separator: " | ") + scope)
    }

    /// Sample-wise: in every configuration the largest rise of the seed-mean test error with n is at least
    /// `minRise`, exceeds the seeds' SD at both its ends and has its bootstrap interval above 0, and (with grid
    /// steps) its top is near the interpolation limit (exact fit for squared loss, else all labels). With `holds` false: the rise's whole interval is below `minRise`.
    static func moreDataHurts(_ e: Expectation, _ holds: Bool, _ minRise: Double, _ steps: Int?, _ configs: [SizeConfiguration], scope: String) -> ExpectationResult {
        var ok = true
        var parts: [String] = []
        for c in configs {
            let label = configs.count > 1 || !c.key.isEmpty ? "\(name(c)): " : ""
            guard c.sizes.count >= 2, let m = try? c.sampleWise() else { ok = false; parts.append(label + "fewer than 2 sizes with results"); continue }
            guard let a = m.stretchStart.map({ Int($0) }), let b = m.stretchTop.map({ Int($0) }) else {
                ok = ok && !holds
                parts.append(label + "the seed-mean test error never rises with more data (\(f(m.curve.first?.meanTest)) at n = \(c.sizes[0]), \(f(m.curve.last?.meanTest)) at n = \(c.sizes.last!))" + (holds ? "; needed a rise of at least \(minRise)" : ""))
                continue
            }
            let sd = max(c.sd(a), c.sd(b))
            let measured = "test error \(f(c.mean(a))) at n = \(a) rises to \(f(c.mean(b))) at n = \(b) (\(f(m.dataRatio, 2)) × the data): largest rise \(f(m.rise)) \(iv(m.riseInterval))"
            guard holds else {
                let pass = (m.riseInterval?.upper ?? m.rise) < minRise
                ok = ok && pass
                parts.append(label + measured + "; needed the whole interval below \(minRise)")
                continue
            }
            var pass = m.rise >= minRise && m.rise > sd && (m.riseInterval?.lower ?? 0) > 0
            var text = measured + " vs seed SD \(f(sd)); needed ≥ \(minRise), above the SD, with the interval above 0"
            if let steps {
                let sizes = c.sizes, it = sizes.firstIndex(of: b)!
                // A squared-loss fit's limit is the last n fitted exactly (n = N for random features); else the last n
                // whose training labels are all predicted.
                let limit = m.lastExactFit ?? m.lastInterpolated
                let what = m.lastExactFit != nil ? "last n whose targets every seed fits exactly" : "last n whose training labels every seed predicts"
                let gap = limit.flatMap { sizes.firstIndex(of: Int($0)) }.map { abs($0 - it) }
                pass = pass && (gap.map { $0 <= steps } ?? false)
                text += "; top \(gap.map { "\($0) grid step(s)" } ?? "(no interpolation limit in the sweep)") from the interpolation limit (\(what): \(limit.map { String(Int($0)) } ?? "none")), needed ≤ \(steps)"
            }
            ok = ok && pass
            parts.append(label + text)
        }
        return ExpectationResult(expectation: e, passed: ok, detail: parts.joined(separator: " | ") + scope)
    }

    static func fallRiseFall(_ e: Expectation, _ prom: Double, _ trials: [Trial], _ r: StudyResults, scope: String) -> ExpectationResult {
        let curves = EpochWise.meanErrorCurves(r, trials: trials)
        var found = 0
        let parts = curves.map { c -> String in
            let label = c.key.isEmpty ? "" : "\(c.key): "
            guard let s = c.shape else { return label + "too few evaluations" }
            if s.prominence >= prom { found += 1 }
            return label + "test error \(f(c.error[0])) at step 0 falls to \(f(c.error[s.firstMinimum])) at step \(Int(c.steps[s.firstMinimum])), rises to \(f(c.error[s.peak])) at step \(Int(c.steps[s.peak])), falls to \(f(c.error[s.secondMinimum])) at step \(Int(c.steps[s.secondMinimum])) (prominence \(f(s.prominence)))"
        }
        return ExpectationResult(expectation: e, passed: found > 0,
                                 detail: "\(found) of \(curves.count) configurations\(scope) show a fall-rise-fall of prominence ≥ \(prom) in the seed-mean test error; " + parts.joined(separator: " | "))
    }
}
