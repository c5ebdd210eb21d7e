// Public initializers for the training records, so that a trial fitted in closed form (one solve, no
// steps) can be recorded in the same curve and summary files as a trained one.

extension EvalRecord {
    public init(step: Int, trainLoss: Double, trainAccuracy: Double, valLoss: Double, valAccuracy: Double,
                weightNorm: Double, tensorNorms: [Double], learningRate: Double, publicInit: Void = ()) {
        self.init(step: step, trainLoss: trainLoss, trainAccuracy: trainAccuracy, valLoss: valLoss, valAccuracy: valAccuracy,
                  weightNorm: weightNorm, tensorNorms: tensorNorms, learningRate: learningRate)
    }
}

extension TrainingOutcome {
    /// One evaluation record at step 0 (a closed-form fit), finished.
    public init(single record: EvalRecord, seconds: Double) {
        self.init()
        records = [record]
        wallSeconds = [seconds]
        totalSeconds = seconds
    }
}
