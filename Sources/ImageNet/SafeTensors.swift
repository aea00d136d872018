// SafeTensors: reads .safetensors files — an 8-byte little-endian header length, a JSON header
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the raw
// little-endian data. F32, F64, F16, BF16, I64 and I32 tensors are read as Float32; other types
// are skipped.

import Foundation
import Tensor

enum SafeTensors {
  static func read(_ url: URL) throws -> WeightFile {
    let fail = { (problem: String) in WeightFileError(path: url.path, problem: problem) }
    let file: Data
    do { file = try Data(contentsOf: url, options: .alwaysMapped) } catch { throw fail("cannot read: \(error.localizedDescription)") }
    guard file.count >= 8 else { throw fail("too short for a safetensors file") }
    let headerLength = Int(file.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
    guard headerLength > 1, 8 + headerLength <= file.count else { throw fail("the header length \(headerLength) does not fit the file (\(file.count) bytes)") }
    guard let header = try? JSONSerialization.jsonObject(with: file.subdata(in: 8..<(8 + headerLength))) as? [String: Any] else {
      throw fail("the header is not a JSON object; is this a .safetensors file?")
    }
    let dataStart = 8 + headerLength
    var result = WeightFile(tensors: [], skipped: [])
    for name in header.keys.sorted() where name != "__metadata__" {
      guard let entry = header[name] as? [String: Any], let dtype = entry["dtype"] as? String,
            let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
        throw fail("tensor \(name): the header entry needs dtype, shape and data_offsets")
      }
      guard let kind = Self.kind(dtype) else { result.skipped.append(name); continue }
      let count = shape.reduce(1, *)
      guard offsets[0] >= 0, offsets[1] - offsets[0] == count * kind.size, dataStart + offsets[1] <= file.count else {
        throw fail("tensor \(name) \(dtype) \(shape): data_offsets \(offsets) do not match its size or run past the end of the file")
      }
      let t = Tensor(zeros: shape)
      file.withUnsafeBytes { raw in
        let bytes = UnsafeRawBufferPointer(rebasing: raw[(dataStart + offsets[0])..<(dataStart + offsets[1])])
        for i in 0..<count { t.data[i] = kind.value(bytes, i) }
      }
      result.tensors.append((name, t))
    }
    return result
  }

  static func kind(_ dtype: String) -> ScalarKind? {
    switch dtype {
    case "F32": return .float32
    case "F64": return .float64
    case "F16": return .float16
    case "BF16": return .bfloat16
    case "I64": return .int64
    case "I32": return .int32
    default: return nil
    }
  }
}
