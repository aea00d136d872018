// Pickle: the part of Python's pickle format (protocols 2–5) that PyTorch's checkpoints use — enough
// to read a state_dict: dicts, tuples, lists, strings, numbers, globals, persistent ids (storages)
// and REDUCE calls (OrderedDict, _rebuild_tensor_v2). Nothing is executed: a call is kept as data.

import Foundation

/// A value read from a pickle. Dicts and lists are references, as in Python, so that SETITEMS and
/// APPENDS reach the object a memo entry points to.
indirect enum PickleValue {
  case none, bool(Bool), int(Int), float(Double), string(String), bytes([UInt8])
  case tuple([PickleValue]), list(PickleList), dict(PickleDict)
  case global(module: String, name: String)
  case persistent(PickleValue)
  case call(PickleValue, [PickleValue])

  var string: String? { if case .string(let s) = self { return s }; return nil }
  var int: Int? { if case .int(let i) = self { return i }; return nil }
  var items: [PickleValue]? {
    switch self {
    case .tuple(let t): return t
    case .list(let l): return l.items
    default: return nil
    }
  }
}

final class PickleList { var items: [PickleValue] = [] }
final class PickleDict { var entries: [(PickleValue, PickleValue)] = [] }

struct PickleError: Error, CustomStringConvertible {
  let description: String
}

enum Pickle {
  /// Reads one pickled object.
  static func load(_ data: [UInt8]) throws -> PickleValue {
    var stack = [PickleValue](), marks = [Int](), memo = [Int: PickleValue]()
    var p = 0
    func need(_ n: Int) throws { guard p + n <= data.count else { throw PickleError(description: "the pickle ends in the middle of an instruction at byte \(p)") } }
    func u8() throws -> Int { try need(1); p += 1; return Int(data[p - 1]) }
    func le(_ n: Int) throws -> Int {
      try need(n)
      var v = 0
      for i in 0..<n { v |= Int(data[p + i]) << (8 * i) }
      p += n
      return v
    }
    func bytes(_ n: Int) throws -> [UInt8] { try need(n); p += n; return Array(data[(p - n)..<p]) }
    func line() throws -> String {
      guard let end = data[p...].firstIndex(of: 0x0A) else { throw PickleError(description: "unterminated text at byte \(p)") }
      defer { p = end + 1 }
      return String(decoding: data[p..<end], as: UTF8.self)
    }
    func pop() throws -> PickleValue { guard let v = stack.popLast() else { throw PickleError(description: "stack underflow at byte \(p)") }; return v }
    func popMark() throws -> [PickleValue] {
      guard let m = marks.popLast(), m <= stack.count else { throw PickleError(description: "no mark at byte \(p)") }
      defer { stack.removeSubrange(m...) }
      return Array(stack[m...])
    }
    while true {
      let op = try u8()
      switch op {
      case 0x80: _ = try u8()                                    // PROTO
      case 0x95: _ = try le(8)                                   // FRAME
      case 0x2E: return try pop()                                // STOP
      case 0x28: marks.append(stack.count)                       // MARK
      case 0x4E: stack.append(.none)                             // NONE
      case 0x88: stack.append(.bool(true))                       // NEWTRUE
      case 0x89: stack.append(.bool(false))                      // NEWFALSE
      case 0x4B: stack.append(.int(try u8()))                    // BININT1
      case 0x4D: stack.append(.int(try le(2)))                   // BININT2
      case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try le(4)))))  // BININT
      case 0x8A:                                                 // LONG1
        let n = try u8(), raw = try bytes(n)
        var v = 0
        for (i, b) in raw.enumerated() where i < 8 { v |= Int(b) << (8 * i) }
        if n > 0 && n < 8 && raw[n - 1] & 0x80 != 0 { v -= 1 << (8 * n) }
        stack.append(.int(v))
      case 0x47: stack.append(.float(Double(bitPattern: UInt64(bigEndian: try bytes(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))))  // BINFLOAT
      case 0x58, 0x8D, 0x8C:                                     // BINUNICODE, BINUNICODE8, SHORT_BINUNICODE
        let n = op == 0x8C ? try u8() : try le(op == 0x8D ? 8 : 4)
        stack.append(.string(String(decoding: try bytes(n), as: UTF8.self)))
      case 0x43, 0x42, 0x8E:                                     // SHORT_BINBYTES, BINBYTES, BINBYTES8
        let n = op == 0x43 ? try u8() : try le(op == 0x42 ? 4 : 8)
        stack.append(.bytes(try bytes(n)))
      case 0x29: stack.append(.tuple([]))                        // EMPTY_TUPLE
      case 0x85: stack.append(.tuple([try pop()]))               // TUPLE1
      case 0x86: let b = try pop(), a = try pop(); stack.append(.tuple([a, b]))  // TUPLE2
      case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(.tuple([a, b, c]))  // TUPLE3
      case 0x74: stack.append(.tuple(try popMark()))             // TUPLE
      case 0x5D: stack.append(.list(PickleList()))               // EMPTY_LIST
      case 0x6C: let l = PickleList(); l.items = try popMark(); stack.append(.list(l))  // LIST
      case 0x7D: stack.append(.dict(PickleDict()))               // EMPTY_DICT
      case 0x61, 0x65:                                           // APPEND, APPENDS
        let values = op == 0x61 ? [try pop()] : try popMark()
        guard case .list(let l)? = stack.last else { throw PickleError(description: "APPEND to a non-list at byte \(p)") }
        l.items += values
      case 0x73, 0x75:                                           // SETITEM, SETITEMS
        let flat = op == 0x73 ? try { let v = try pop(); let k = try pop(); return [k, v] }() : try popMark()
        guard case .dict(let d)? = stack.last, flat.count % 2 == 0 else { throw PickleError(description: "SETITEMS on a non-dict at byte \(p)") }
        for i in stride(from: 0, to: flat.count, by: 2) { d.entries.append((flat[i], flat[i + 1])) }
      case 0x63:                                                 // GLOBAL
        let module = try line(), name = try line()
        stack.append(.global(module: module, name: name))
      case 0x93:                                                 // STACK_GLOBAL
        let name = try pop(), module = try pop()
        stack.append(.global(module: module.string ?? "", name: name.string ?? ""))
      case 0x51: stack.append(.persistent(try pop()))            // BINPERSID
      case 0x52:                                                 // REDUCE
        let args = try pop(), callable = try pop()
        if case .global("collections", "OrderedDict") = callable { stack.append(.dict(PickleDict())) }
        else { stack.append(.call(callable, args.items ?? [args])) }
      case 0x81:                                                 // NEWOBJ
        let args = try pop(), cls = try pop()
        stack.append(.call(cls, args.items ?? []))
      case 0x62: _ = try pop()                                   // BUILD: object state (a state_dict's _metadata) is not needed
      case 0x71: memo[try u8()] = stack.last                     // BINPUT
      case 0x72: memo[try le(4)] = stack.last                    // LONG_BINPUT
      case 0x94: memo[memo.count] = stack.last                   // MEMOIZE
      case 0x68, 0x6A:                                           // BINGET, LONG_BINGET
        let key = op == 0x68 ? try u8() : try le(4)
        guard let v = memo[key] else { throw PickleError(description: "memo entry \(key) is missing at byte \(p)") }
        stack.append(v)
      case 0x30: _ = try pop()                                   // POP
      case 0x32: stack.append(stack.last ?? .none)               // DUP
      default:
        throw PickleError(description: String(format: "unsupported pickle instruction 0x%02X at byte %d", op, p - 1))
      }
    }
  }
}
