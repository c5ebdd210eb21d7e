// How Evaluation's verdicts print numbers (the gates' details are sentences) and how Reports prints the
// same numbers beside them: fixed decimals, intervals in brackets, whole percentages.
import Analysis
import Foundation

public enum Format {
    /// `x` with `digits` decimals; "—" for nil.
    public static func fixed(_ x: Double?, _ digits: Int = 3) -> String { x.map { String(format: "%.\(digits)f", $0) } ?? "—" }
    /// "[lower, upper]" with three decimals; empty for nil.
    public static func interval(_ i: Interval?) -> String { i.map { "[\(fixed($0.lower)), \(fixed($0.upper))]" } ?? "" }
    /// A share as a whole percentage, "80%".
    public static func percent(_ x: Double) -> String { String(format: "%.0f%%", 100 * x) }
}
