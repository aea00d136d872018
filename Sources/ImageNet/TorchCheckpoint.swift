// TorchCheckpoint: reads the tensors of a PyTorch checkpoint written by torch.save (a zip holding
// `<name>/data.pkl` and one raw file per storage, `<name>/data/<key>`), such as torchvision's
// resnet34-b627a593.pth. Float (32, 64, 16, bfloat16) and integer (64, 32: BatchNorm's
// num_batches_tracked) tensors are read as Float32; others (bool, uint8) are listed as skipped.

import Foundation
import Tensor
import ZIPFoundation

/// Named tensors read from a weight file, and the names of those that are not floating point.
public struct WeightFile {
  public var tensors: [(String, Tensor)]
  public var skipped: [String]
}

public struct WeightFileError: Error, CustomStringConvertible {
  public let path: String, problem: String
  public var description: String { "\(path): \(problem)" }
}

enum TorchCheckpoint {
  static func read(_ url: URL) throws -> WeightFile {
    let fail = { (problem: String) in WeightFileError(path: url.path, problem: problem) }
    let archive: ZIPFoundation.Archive
    do { archive = try ZIPFoundation.Archive(url: url, accessMode: .read) } catch {
      throw fail("not a PyTorch zip checkpoint (\(error)); files from torch.save of PyTorch 1.6 or later are zips")
    }
    guard let pickleEntry = archive.first(where: { $0.path.hasSuffix("data.pkl") }) else {
      throw fail("the zip holds no data.pkl; is it a torch.save checkpoint?")
    }
    let prefix = String(pickleEntry.path.dropLast("data.pkl".count))
    func entry(_ path: String) throws -> [UInt8] {
      guard let e = archive[path] else { throw fail("the checkpoint refers to \(path), which the zip does not hold") }
      var bytes = [UInt8]()
      bytes.reserveCapacity(Int(e.uncompressedSize))
      _ = try archive.extract(e, skipCRC32: true) { bytes += $0 }
      return bytes
    }
    let root: PickleValue
    do { root = try Pickle.load(try entry(pickleEntry.path)) } catch let error as PickleError { throw fail("data.pkl: \(error.description)") }
    guard let dict = stateDict(root) else { throw fail("data.pkl holds no dictionary of tensors (a state_dict)") }
    var result = WeightFile(tensors: [], skipped: [])
    var storages = [String: [UInt8]]()
    for (key, value) in dict.entries {
      guard let name = key.string else { continue }
      guard let ref = try TensorReference(value) else { continue }
      guard let kind = ref.scalar else { result.skipped.append(name); continue }
      if storages[ref.storage] == nil { storages[ref.storage] = try entry(prefix + "data/" + ref.storage) }
      let raw = storages[ref.storage]!
      let count = ref.shape.reduce(1, *)
      let extent = count == 0 ? 0 : zip(ref.shape, ref.strides).reduce(0) { $0 + ($1.0 - 1) * $1.1 } + 1
      guard (ref.offset + extent) * kind.size <= raw.count else {
        throw fail("tensor \(name) \(ref.shape) runs past the end of its storage \(ref.storage)")
      }
      let t = Tensor(zeros: ref.shape)
      raw.withUnsafeBytes { bytes in
        var index = [Int](repeating: 0, count: ref.shape.count)
        for i in 0..<count {
          var element = ref.offset
          for d in index.indices { element += index[d] * ref.strides[d] }
          t.data[i] = kind.value(bytes, element)
          for d in index.indices.reversed() {  // odometer over the shape, last axis fastest
            index[d] += 1
            if index[d] < ref.shape[d] { break }
            index[d] = 0
          }
        }
      }
      result.tensors.append((name, t))
    }
    return result
  }

  /// The top-level dict, or the one under "state_dict" / "model" (training scripts' checkpoints).
  static func stateDict(_ root: PickleValue) -> PickleDict? {
    guard case .dict(let d) = root else { return nil }
    for (k, v) in d.entries where ["state_dict", "model"].contains(k.string ?? "") { if case .dict(let inner) = v { return inner } }
    return d
  }
}

/// A tensor as the pickle describes it: `_rebuild_tensor_v2(storage, offset, size, stride, …)`.
struct TensorReference {
  let storage: String, offset: Int, shape: [Int], strides: [Int]
  let scalar: ScalarKind?

  /// nil when the value is not a tensor; throws when it is one but malformed.
  init?(_ value: PickleValue) throws {
    guard case .call(let callable, let args) = value, case .global("torch._utils", let function) = callable else { return nil }
    if function == "_rebuild_parameter", let data = args.first {  // an nn.Parameter wraps its tensor
      guard let inner = try TensorReference(data) else { return nil }
      self = inner
      return
    }
    guard function == "_rebuild_tensor_v2", args.count >= 4, case .persistent(let id) = args[0], let parts = id.items, parts.count >= 3,
          case .global(_, let storageType) = parts[1], let key = parts[2].string,
          let offset = args[1].int, let shape = args[2].items?.compactMap(\.int), let strides = args[3].items?.compactMap(\.int),
          shape.count == strides.count else {
      throw PickleError(description: "a tensor record that is not _rebuild_tensor_v2(storage, offset, size, stride)")
    }
    storage = key
    self.offset = offset
    self.shape = shape
    self.strides = strides
    scalar = ScalarKind(storageType)
  }
}

/// Element types of PyTorch storages that are read, as Float32.
enum ScalarKind {
  case float32, float64, float16, bfloat16, int64, int32

  init?(_ storageType: String) {
    switch storageType {
    case "FloatStorage": self = .float32
    case "DoubleStorage": self = .float64
    case "HalfStorage": self = .float16
    case "BFloat16Storage": self = .bfloat16
    case "LongStorage": self = .int64
    case "IntStorage": self = .int32
    default: return nil
    }
  }

  var size: Int {
    switch self {
    case .float32, .int32: return 4
    case .float64, .int64: return 8
    case .float16, .bfloat16: return 2
    }
  }

  func value(_ bytes: UnsafeRawBufferPointer, _ i: Int) -> Float {
    switch self {
    case .float32: return Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
    case .float64: return Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
    case .float16: return Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))))
    case .bfloat16: return Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16)
    case .int64: return Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
    case .int32: return Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
    }
  }
}
