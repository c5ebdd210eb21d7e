// A public initializer for a training outcome of one record, so that a trial fitted in closed form (one
// solve, no steps) is recorded in the same curve and summary files as a trained one.

extension TrainingOutcome {
    /// One evaluation record at step 0 (a closed-form fit), finished.
    public init(single record: EvalRecord, seconds: Double) {
        self.init()
        records = [record]
        wallSeconds = [seconds]
        totalSeconds = seconds
    }
}
