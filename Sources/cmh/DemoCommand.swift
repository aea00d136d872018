// cmh demo: trains the engine's small CNN on the generated bars-and-crosses task, printing the
// loss falling and the accuracy reached.

import ArgumentParser
import Foundation
import Tensor

struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Train a small CNN on a generated image task and show it learn (what `make demo` runs).")

  @Option(help: "Training images to generate.") var train = 2000
  @Option(help: "Test images to generate.") var test = 500
  @Option(help: "Training epochs.") var epochs = 4
  @Option(help: "Seed for data, weights and shuffling.") var seed: UInt64 = 1
  @OptionGroup var output: OutputOptions

  func run() throws {
    var generator = RandomGenerator(seed: seed)
    let data = ToyTask.generate(count: train, generator: &generator)
    let heldOut = ToyTask.generate(count: test, generator: &generator)
    let model = ToyTask.network(generator: &generator)
    let optimizer = Adam(groups: [ParameterGroup(model.namedParameters(), learningRate: 3e-3)])
    if !output.json {
      print("cmh demo: classifying generated 16×16 images into \(ToyTask.classNames.joined(separator: ", "))")
      print("seed \(seed), \(train) training and \(test) test images, \(model.parameterCount) parameters, \(Threads.count) threads\n")
      print("epoch   loss     train acc   test acc   images/s")
    }
    let batch = 32
    for epoch in 1...epochs {
      let started = Date()
      let order = generator.permutation(train)
      let progress = Progress(total: train, label: "epoch \(epoch)", quiet: output.quiet || output.json)
      var lossSum = 0.0, correct = 0.0
      model.setTraining(true)
      for start in stride(from: 0, to: train, by: batch) {
        let rows = order[start..<min(start + batch, train)]
        let labels = rows.map { data.labels[$0] }
        let logits = model.forward(ToyTask.gather(data.images, rows))
        let (loss, gradient) = SoftmaxCrossEntropy.evaluate(logits, labels: labels)
        optimizer.zeroGradients()
        _ = model.backward(gradient)
        optimizer.step()
        lossSum += Double(loss) * Double(rows.count)
        correct += Double(SoftmaxCrossEntropy.accuracy(logits, labels: labels)) * Double(rows.count)
        progress.update(rows.endIndex, detail: String(format: "loss %.3f", loss))
      }
      progress.finish()
      model.setTraining(false)
      let testAccuracy = SoftmaxCrossEntropy.accuracy(model.forward(heldOut.images), labels: heldOut.labels)
      let rate = Double(train) / Date().timeIntervalSince(started)
      let loss = lossSum / Double(train), trainAccuracy = correct / Double(train)
      if output.json {
        print(#"{"epoch": \#(epoch), "loss": \#(fmt(loss)), "train_accuracy": \#(fmt(trainAccuracy)), "test_accuracy": \#(fmt(Double(testAccuracy))), "images_per_second": \#(fmt(rate))}"#)
      } else {
        print(String(format: "%5d   %.4f   %8.1f%%   %7.1f%%   %8.0f", epoch, loss, trainAccuracy * 100, testAccuracy * 100, rate))
      }
    }
  }

  private func fmt(_ x: Double) -> String { String(format: "%.4f", x) }
}
