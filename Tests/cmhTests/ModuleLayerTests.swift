// The house's rules, read from Package.swift and the sources: modules depend one way (DESIGN.md's
// order), every import is a declared dependency, Search and Server do not link training code, and
// the command line stays thin.

import Foundation
import XCTest

final class ModuleLayerTests: XCTestCase {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// DESIGN.md's layers, lowest first; a module may depend only on modules of lower layers.
  static let layers: [[String]] = [
    ["Platform"], ["Corpus", "Hashing"], ["Tensor"], ["ImageNet", "TextNet", "CauchyLoss"], ["Model"], ["Training", "Search"],
    ["Distill", "Augment", "Server"], ["Experiments"], ["Benchmarks"], ["cmh"],
  ]

  /// Each target's dependencies on the project's own modules, as Package.swift declares them.
  static func dependencies() throws -> [String: Set<String>] {
    let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
    let modules = Set(layers.joined())
    var graph = [String: Set<String>]()
    let target = try NSRegularExpression(pattern: #"\.(?:target|executableTarget)\(\s*name: "(\w+)",\s*dependencies: \[(.*?)\]"#, options: [.dotMatchesLineSeparators])
    for match in target.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)) {
      let name = String(manifest[Range(match.range(at: 1), in: manifest)!])
      let list = String(manifest[Range(match.range(at: 2), in: manifest)!])
      graph[name] = Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        .filter { modules.contains($0) })
    }
    return graph.filter { modules.contains($0.key) }
  }

  static func closure(_ module: String, _ graph: [String: Set<String>]) -> Set<String> {
    var seen = Set<String>(), stack = [module]
    while let m = stack.popLast() {
      for d in graph[m] ?? [] where seen.insert(d).inserted { stack.append(d) }
    }
    return seen
  }

  func testModulesDependOneWay() throws {
    let graph = try Self.dependencies()
    let rank = Dictionary(uniqueKeysWithValues: Self.layers.enumerated().flatMap { i, names in names.map { ($0, i) } })
    XCTAssertEqual(Set(graph.keys), Set(rank.keys), "every module of DESIGN.md is a target")
    for (module, deps) in graph {
      for d in deps { XCTAssertLessThan(rank[d]!, rank[module]!, "\(module) depends on \(d), which is not below it") }
    }
  }

  func testSearchAndServerLinkNoTrainingCode() throws {
    let graph = try Self.dependencies()
    for module in ["Search", "Server"] {
      let linked = Self.closure(module, graph)
      XCTAssertTrue(linked.isDisjoint(with: ["Training", "CauchyLoss", "Augment", "Distill", "Experiments", "Benchmarks"]),
                    "\(module) links \(linked.sorted())")
    }
  }

  func testEveryImportIsADeclaredDependency() throws {
    let graph = try Self.dependencies()
    for (module, deps) in graph {
      let folder = Self.root.appendingPathComponent("Sources/\(module)")
      for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        for line in text.split(separator: "\n") where line.hasPrefix("import ") {
          let imported = String(line.dropFirst(7))
          guard graph[imported] != nil else { continue }  // Foundation, shims, packages
          XCTAssertTrue(deps.contains(imported), "\(module)/\(file) imports \(imported), which Package.swift does not give it")
        }
      }
    }
  }

  /// A test target that imports a module it does not declare builds only after another target
  /// built that module (it did here, and failed on a clean clone).
  func testEveryTestImportIsADeclaredDependency() throws {
    let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
    let modules = Set(Self.layers.joined())
    let test = try NSRegularExpression(pattern: #"\.testTarget\(name: "(\w+)", dependencies: \[(.*?)\]"#, options: [.dotMatchesLineSeparators])
    for match in test.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)) {
      let name = String(manifest[Range(match.range(at: 1), in: manifest)!])
      let deps = String(manifest[Range(match.range(at: 2), in: manifest)!])
      let folder = Self.root.appendingPathComponent("Tests/\(name)")
      for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
          let imported = String(line.split(separator: " ").last!)
          guard modules.contains(imported) else { continue }
          XCTAssertTrue(deps.contains("\"\(imported)\""), "\(name)/\(file) imports \(imported), which Package.swift does not give it")
        }
      }
    }
  }

  /// Commands parse options, call a library and render; the logic lives below them.
  func testTheCommandLineStaysThin() throws {
    let folder = Self.root.appendingPathComponent("Sources/cmh")
    let lines = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }.reduce(0) {
      $0 + (try String(contentsOf: folder.appendingPathComponent($1), encoding: .utf8)).split(separator: "\n", omittingEmptySubsequences: false).count - 1
    }
    // 1,500 until the commands' entry under mpirun (which commands share their work) joined main;
    // 1,520 until --precision joined the commands that run the towers.
    XCTAssertLessThan(lines, 1545, "Sources/cmh has \(lines) lines")
  }
}
