// ConvolutionReference: the plain direct convolution (seven nested loops) that Conv2D is tested against.

public enum ConvolutionReference {
  /// y[n,o,oh,ow] = b[o] + Σ_c,ki,kj w[o,c,ki,kj]·x[n,c,oh·s−p+ki,ow·s−p+kj], summed in Double.
  public static func forward(_ x: Tensor, weight w: Tensor, bias: Tensor?, stride s: Int, padding p: Int) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, k) = (w.shape[0], w.shape[2])
    let ho = (h + 2 * p - k) / s + 1, wo = (wd + 2 * p - k) / s + 1
    let y = Tensor(zeros: [n, o, ho, wo])
    for b in 0..<n { for oc in 0..<o { for oh in 0..<ho { for ow in 0..<wo {
      var sum = Double(bias?.data[oc] ?? 0)
      for ic in 0..<c { for ki in 0..<k { for kj in 0..<k {
        let ih = oh * s - p + ki, iw = ow * s - p + kj
        guard ih >= 0 && ih < h && iw >= 0 && iw < wd else { continue }
        sum += Double(w.data[((oc * c + ic) * k + ki) * k + kj]) * Double(x.data[((b * c + ic) * h + ih) * wd + iw])
      } } }
      y.data[((b * o + oc) * ho + oh) * wo + ow] = Float(sum)
    } } } }
    return y
  }

  /// Input and weight gradients of the direct convolution for an output gradient dy.
  public static func backward(_ x: Tensor, weight w: Tensor, outputGradient dy: Tensor, stride s: Int, padding p: Int) -> (dx: Tensor, dw: Tensor) {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, k) = (w.shape[0], w.shape[2])
    let (ho, wo) = (dy.shape[2], dy.shape[3])
    var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
    for b in 0..<n { for oc in 0..<o { for oh in 0..<ho { for ow in 0..<wo {
      let g = Double(dy.data[((b * o + oc) * ho + oh) * wo + ow])
      for ic in 0..<c { for ki in 0..<k { for kj in 0..<k {
        let ih = oh * s - p + ki, iw = ow * s - p + kj
        guard ih >= 0 && ih < h && iw >= 0 && iw < wd else { continue }
        let xi = ((b * c + ic) * h + ih) * wd + iw, wi = ((oc * c + ic) * k + ki) * k + kj
        dx[xi] += g * Double(w.data[wi])
        dw[wi] += g * Double(x.data[xi])
      } } }
    } } } }
    return (Tensor(shape: x.shape, values: dx.map(Float.init)), Tensor(shape: w.shape, values: dw.map(Float.init)))
  }
}
