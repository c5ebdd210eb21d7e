// swift-tools-version:6.0
// descent: model-wise double descent and step-wise grokking, reproduced, measured and contrasted.
import PackageDescription

// The numeric modules run their hot loops over unsafe buffers; in release builds they drop the
// bounds checks (-Ounchecked) and export their generic code to clients (-cross-module-optimization)
// so that Float and Double instantiations are specialized where they are used.
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-cross-module-optimization"], .when(configuration: .release)),
]

let package = Package(
    name: "descent",
    products: [
        .executable(name: "descent", targets: ["descent"]),
        .executable(name: "descent-bench", targets: ["DescentBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CGSL", path: "Sources/CGSL"),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        // Allocation counting for `descent bench` (interposes malloc in the descent-bench executable only).
        .target(name: "CAllocCounter"),
        // Elementwise loops that Swift leaves scalar (the Adam step, the attention core, LayerNorm, the ReLU
        // mask), vectorized in C with the same bits (and the worker team's spin-wait hint).
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off", "-fno-math-errno"])]),
        .target(name: "Linalg", dependencies: ["CBLAS", "CKernels"], swiftSettings: fast),
        .target(name: "Datasets", dependencies: ["Linalg"], swiftSettings: fast),
        .target(name: "Models", dependencies: ["Linalg"], swiftSettings: fast),
        .target(name: "Training", dependencies: ["Linalg", "Datasets", "Models"], swiftSettings: fast),
        .target(name: "Studies", dependencies: ["Training", "Yams"], swiftSettings: fast),
        .target(name: "Analysis", dependencies: ["CGSL"], swiftSettings: fast),
        .target(name: "Evaluation", dependencies: ["Studies", "Analysis", "Linalg"]),
        .target(name: "Reports", dependencies: ["Studies", "Analysis", "Evaluation"]),
        .target(name: "BLASKernel", dependencies: ["Linalg"]),
        .executableTarget(name: "descent", dependencies: [
            "Reports", "Evaluation", "Studies", "Training", "Analysis", "BLASKernel",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "DescentBench", dependencies: [
            "Studies", "Training", "BLASKernel", "CAllocCounter",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Test support (the finite-difference gradient checker), for test targets only.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Linalg", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Datasets", "Models", "TestSupport"]),
        .testTarget(name: "StudiesTests", dependencies: ["Studies"]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Studies"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "descentTests", dependencies: ["Studies", "Analysis"]),
    ],
    swiftLanguageModes: [.v5]
)
