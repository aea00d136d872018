// swift-tools-version:6.0
// Deep cross-modal hashing: image and text towers trained into one Hamming space.
import PackageDescription


let package = Package(
  name: "CrossModalHashing",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "cmh", targets: ["cmh"]),
    .library(name: "Platform", targets: ["Platform"]),
    .library(name: "Tensor", targets: ["Tensor"]),
    .library(name: "Hashing", targets: ["Hashing"]),
    .library(name: "ImageNet", targets: ["ImageNet"]),
    .library(name: "Corpus", targets: ["Corpus"]),
    .library(name: "CauchyLoss", targets: ["CauchyLoss"]),
    .library(name: "TextNet", targets: ["TextNet"]),
    .library(name: "Model", targets: ["Model"]),
    .library(name: "Training", targets: ["Training"]),
    .library(name: "Distill", targets: ["Distill"]),
    .library(name: "Augment", targets: ["Augment"]),
    .library(name: "Search", targets: ["Search"]),
    .library(name: "Server", targets: ["Server"]),
    .library(name: "Experiments", targets: ["Experiments"]),
    .library(name: "Benchmarks", targets: ["Benchmarks"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
  ],
  targets: [
    // MARK: - System-library shims
    .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
    .systemLibrary(name: "CLibZ", path: "Sources/CLibZ"),
    .systemLibrary(name: "CLibXML2", path: "Sources/CLibXML2", pkgConfig: "libxml-2.0"),
    .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5"),
    .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng16"),
    .systemLibrary(name: "CWebP", path: "Sources/CWebP", pkgConfig: "libwebp"),
    .target(name: "CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
    .target(name: "COptimizer"),
    .target(name: "CCPUID"),

    // MARK: - Modules (each depends only on those above it; DESIGN.md's layout)
    .target(name: "Platform", dependencies: ["CBLAS", "CCPUID", "CLibZ"]),
    .target(name: "CXML", dependencies: ["CLibXML2"]),
    .target(name: "Corpus", dependencies: ["Platform", .product(name: "ZIPFoundation", package: "ZIPFoundation"), "CJPEG", "CPNG", "CWebP", "CLibZ", "CXML", "CHDF5"]),
    .target(name: "Hashing", dependencies: ["Platform"]),
    .target(name: "Tensor", dependencies: ["Platform", "CBLAS", "COptimizer"]),
    .target(name: "ImageNet", dependencies: ["Tensor", "Corpus", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    .target(name: "TextNet", dependencies: ["Tensor", "Corpus"]),
    .target(name: "CauchyLoss", dependencies: ["Tensor", "Corpus"]),
    .target(name: "Model", dependencies: ["Platform", "Tensor", "ImageNet", "TextNet", "Corpus"]),
    .target(name: "Training", dependencies: ["Platform", "Model", "Tensor", "ImageNet", "TextNet", "CauchyLoss", "Corpus", "Hashing"]),
    .target(name: "Distill", dependencies: ["Platform", "Training", "Model", "Tensor", "CauchyLoss", "Corpus", "Hashing"]),
    .target(name: "Augment", dependencies: ["Training", "Model", "Tensor", "TextNet", "Corpus", "Platform"]),
    .target(name: "Search", dependencies: ["Platform", "Model", "Hashing", "Corpus", "Tensor", "ImageNet"]),
    .target(name: "Server", dependencies: ["Platform", "Search", "Hashing", "Corpus", "Tensor", .product(name: "Hummingbird", package: "hummingbird"),
                                   .product(name: "Logging", package: "swift-log"),
                                   .product(name: "NIOCore", package: "swift-nio"),
                                   .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                   .product(name: "UnixSignals", package: "swift-service-lifecycle")]),
    .target(name: "Experiments", dependencies: ["Training", "Distill", "Augment", "Model", "Search", "Hashing", "Corpus", "Tensor", "Platform"]),
    .target(name: "Benchmarks", dependencies: ["Experiments", "Server", "Search", "Training", "Model", "Hashing", "Corpus", "ImageNet", "TextNet", "Tensor", "Platform"]),

    // MARK: - Command line
    .executableTarget(
      name: "cmh",
      dependencies: [
        "Platform",
        "Tensor",
        "ImageNet",
        "Hashing",
        "Corpus",
        "TextNet",
        "Model",
        "Training",
        "Distill",
        "CauchyLoss",
        "Augment",
        "Search",
        "Server",
        "Experiments",
        "Benchmarks",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ]),

    // MARK: - Tests
    .target(name: "TestSupport", dependencies: ["Tensor", "CHDF5", "CLibZ"], path: "Tests/TestSupport"),
    .testTarget(name: "PlatformTests", dependencies: ["Platform"]),
    .testTarget(name: "TensorTests", dependencies: ["Tensor", "Platform", "TestSupport"]),
    .testTarget(name: "HashingTests", dependencies: ["Hashing", "Platform"]),
    .testTarget(name: "ImageNetTests", dependencies: ["ImageNet", "Tensor", "Corpus", "TestSupport"], exclude: ["Fixtures"]),
    .testTarget(name: "CauchyLossTests", dependencies: ["CauchyLoss", "Tensor", "Corpus"]),
    .testTarget(name: "TextNetTests", dependencies: ["TextNet", "Tensor", "Corpus", "TestSupport"]),
    .testTarget(name: "ModelTests", dependencies: ["Model", "Training", "Tensor", "Corpus"]),
    .testTarget(name: "AugmentTests", dependencies: ["Augment", "Training", "Model", "Tensor", "Corpus"]),
    .testTarget(name: "TrainingTests", dependencies: ["Training", "Augment", "Model", "TextNet", "Tensor", "Corpus", "Hashing", "CauchyLoss", "Platform"]),
    .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Training", "Model", "Corpus", "Hashing", "Platform"]),
    .testTarget(name: "DistillTests", dependencies: ["Distill", "CauchyLoss", "Training", "Model", "Tensor", "Corpus", "Hashing"]),
    .testTarget(name: "CorpusTests", dependencies: ["Corpus", "TestSupport"], exclude: ["Fixtures"]),  // fixtures read by path
    .target(name: "SearchFixture", dependencies: ["Search", "Model", "Training", "Hashing", "Corpus", "Tensor"], path: "Tests/SearchFixture"),
    .testTarget(name: "SearchTests", dependencies: ["Search", "SearchFixture", "Model", "Training", "Distill", "Hashing", "Corpus", "Tensor"]),
    .testTarget(name: "ServerTests", dependencies: ["Server", "Tensor", "Search", "SearchFixture", "Hashing", "Corpus"]),
    .testTarget(name: "cmhTests", dependencies: ["cmh", "Platform", "Experiments", "Hashing", "Corpus", "Server", "TestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                exclude: ["Golden", "Fixtures"]),  // read by path
  ],
  swiftLanguageModes: [.v5]
)
