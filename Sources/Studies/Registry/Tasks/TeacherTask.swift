// task.kind teacher: x ~ N(0, I_d) labelled by the arg-max of a fixed random two-layer ReLU network
// (one teacher for the study, drawn from the study seed; fresh samples per seed).
import Datasets
import Linalg

public enum TeacherTask: TaskKind {
    static let name = "teacher"
    static let summary = "x ~ N(0, I_d) labelled by a random two-layer ReLU network"
    static let inputs = TaskInputs.features

    static let inputDimension = KeySpec(path: "task.input_dimension", type: .int(min: 1, max: 1 << 16), defaultValue: .int(20), doc: "teacher: d, the Gaussian inputs' dimension")
    static let teacherWidth = KeySpec(path: "task.teacher_width", type: .int(min: 1, max: 1 << 16), defaultValue: .int(100), doc: "teacher: h, the hidden ReLU units of the fixed random teacher (drawn from the study seed, the same for every seed)")
    static let classes = KeySpec(path: "task.classes", type: .int(min: 2, max: 1000), defaultValue: .int(10), doc: "teacher: K, the classes (arg-max of the teacher's K outputs)")

    static let keys = [TaskKeys.nTrain, TaskKeys.nTest, TaskKeys.labelNoise, TaskKeys.standardize, inputDimension, teacherWidth, classes]

    static func decode(_ v: KeyValues) -> any TaskConfiguration {
        Config(sample: FeatureSample.decode(v), studySeed: v.int(StudyKeys.seed), inputs: v.int(inputDimension), hidden: v.int(teacherWidth), classes: v.int(classes))
    }

    struct Config: FeatureTask {
        var kind: String { TeacherTask.name }
        let sample: FeatureSample
        let studySeed: Int
        let inputs: Int
        let hidden: Int
        let classes: Int



        func load(split: inout RNG) throws -> (train: ClassificationData, test: ClassificationData) {
            var tr = RNG(seed: stableHash("teacher|\(studySeed)|\(inputs)|\(hidden)|\(classes)"))
            let teacher = TeacherNetwork(inputs: inputs, hidden: hidden, outputs: classes, rng: &tr)
            let train = teacher.classification(sample.nTrain, rng: &split)
            return (train, teacher.classification(sample.nTest == 0 ? 1000 : sample.nTest, rng: &split))
        }
    }
}
