// EncodedQuery: one query as the model sees it — its code for the Hamming scan and its real-valued
// output for re-ranking.

import Hashing
import Tensor

public struct EncodedQuery: Sendable {
  /// One code.
  public let codes: BinaryCodes
  /// The tower's output behind the code (`bits` values).
  public let output: [Float]

  public init(codes: BinaryCodes, output: [Float]) {
    precondition(codes.count == 1 && output.count == codes.bits, "EncodedQuery: one code and its \(codes.bits) output values, got \(codes.count) codes and \(output.count) values")
    self.codes = codes
    self.output = output
  }

  /// Each row of a tower's outputs [n, bits] as a query.
  static func split(_ outputs: Tensor, bits: Int) -> [EncodedQuery] {
    let n = outputs.shape[0]
    let codes = BinaryCodes(signs: outputs.data, count: n, bits: bits)
    return (0..<n).map { i in EncodedQuery(codes: codes.subset([i]), output: Array(UnsafeBufferPointer(start: outputs.data + i * bits, count: bits))) }
  }

  /// Item `i` of an index as a query: its stored output when the index keeps them, else its code as ±1.
  public static func item(_ i: Int, of index: IndexFile) -> EncodedQuery {
    EncodedQuery(codes: index.codes.subset([i]), output: index.outputs.map { $0.unit(i) } ?? OutputVectors.unit(code: i, of: index.codes))
  }
}
