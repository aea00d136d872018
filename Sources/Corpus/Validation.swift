// Validation: everything in a corpus that a run would trip on, each problem with its file and line.

import Foundation

extension Corpus {
  /// Problems found; empty when the corpus is sound. `checkImages` also opens every image file.
  /// `progress` is told (pairs checked, pairs) as the images are decoded.
  public func validate(checkImages: Bool = true, progress: (Int, Int) -> Void = { _, _ in }) -> [CorpusError] {
    var problems = structuralProblems()
    let pairsPath = directory.appendingPathComponent("pairs.jsonl").path
    // A modality missing from every pair is one problem of the corpus, not one per pair.
    let noImages = imageFeatures == nil && pairs.allSatisfy { $0.image == nil }
    let noTexts = textFeatures == nil && pairs.allSatisfy { $0.text == nil }
    if noImages { problems.append(CorpusError(pairsPath, "no pair has an image, and there is no features/image.npy: the image side cannot be trained")) }
    if noTexts { problems.append(CorpusError(pairsPath, "no pair has a text, and there is no features/text.npy: the text side cannot be trained")) }
    for (i, pair) in pairs.enumerated() {
      let line = i + 1
      func problem(_ text: String) { problems.append(CorpusError(pairsPath, line: line, text)) }
      if pair.labels.isEmpty { problem("pair \"\(pair.id)\" has no label") }
      if pair.image == nil && imageFeatures == nil && !noImages { problem("pair \"\(pair.id)\" has neither an image nor an image feature row") }
      if pair.text == nil && textFeatures == nil && !noTexts { problem("pair \"\(pair.id)\" has neither a text nor a text feature row") }
      if let text = pair.text, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, textFeatures == nil { problem("pair \"\(pair.id)\" has an empty text") }
      if checkImages, let url = imageURL(pair) {
        if !FileManager.default.fileExists(atPath: url.path) { problem("image \(pair.image!) is missing") }
        else if let error = ImageCheck.problem(url) { problem("image \(pair.image!): \(error)") }
        progress(line, pairs.count)
      }
    }
    problems += splitProblems()
    return problems
  }

  /// What no command can work with, checked whenever a corpus is loaded: no labels, empty or
  /// repeated ids, label indices outside the label list.
  public func structuralProblems() -> [CorpusError] {
    var problems = [CorpusError](), seen = [String: Int]()
    let pairsPath = directory.appendingPathComponent("pairs.jsonl").path
    if info.labels.isEmpty { problems.append(CorpusError(directory.appendingPathComponent("corpus.json").path, "the label list is empty")) }
    if let kinds = info.labelKinds, kinds.count != info.labels.count {
      problems.append(CorpusError(directory.appendingPathComponent("corpus.json").path, "label_kinds has \(kinds.count) entries, expected one per label (\(info.labels.count))"))
    }
    for (i, pair) in pairs.enumerated() {
      let line = i + 1
      if pair.id.isEmpty { problems.append(CorpusError(pairsPath, line: line, "empty id")) }
      if let first = seen[pair.id] { problems.append(CorpusError(pairsPath, line: line, "id \"\(pair.id)\" also on line \(first)")) } else { seen[pair.id] = line }
      for l in pair.labels where l < 0 || l >= info.labels.count {
        problems.append(CorpusError(pairsPath, line: line, "label \(l) outside 0..<\(info.labels.count) (the labels of corpus.json)"))
      }
    }
    return problems
  }

  private func splitProblems() -> [CorpusError] {
    let folder = directory.appendingPathComponent("splits").path
    guard let splits else { return [CorpusError(folder, "no split files: run `cmh corpus split`")] }
    var problems = [CorpusError]()
    let query = Set(splits.query), retrieval = Set(splits.retrieval)
    if !query.isDisjoint(with: retrieval) { problems.append(CorpusError(folder, "\(query.intersection(retrieval).count) pairs are both queries and retrieval items")) }
    for (name, set) in [("query", splits.query), ("retrieval", splits.retrieval)] {
      if let i = set.first(where: { pairs[$0].synthetic }) {
        problems.append(CorpusError("\(folder)/\(name).txt", "synthetic pair \"\(pairs[i].id)\" must be used for training only"))
      }
    }
    let covered = query.union(retrieval).union(splits.train)
    let missing = pairs.indices.filter { !covered.contains($0) && !pairs[$0].synthetic }
    if !missing.isEmpty { problems.append(CorpusError(folder, "\(missing.count) pairs are in no split (first: \"\(pairs[missing[0]].id)\")")) }
    return problems
  }
}

extension Corpus {
  /// The corpus without the pairs whose image file is missing or cannot be decoded, and one
  /// problem per pair left out (importers use it for --skip-bad, or to refuse bad input).
  public func checkingImages() -> (Corpus, [CorpusError]) {
    var kept = [Int](), problems = [CorpusError]()
    for (i, pair) in pairs.enumerated() {
      guard let url = imageURL(pair) else { kept.append(i); continue }
      let problem = FileManager.default.fileExists(atPath: url.path) ? ImageCheck.problem(url) : "missing"
      if let problem { problems.append(CorpusError(url.path, "image of pair \"\(pair.id)\": \(problem)")) } else { kept.append(i) }
    }
    var corpus = self
    corpus.pairs = kept.map { pairs[$0] }
    corpus.imageFeatures = imageFeatures?.subset(kept)
    corpus.textFeatures = textFeatures?.subset(kept)
    return (corpus, problems)
  }
}

/// Decodes an image, as training will, to know that it can be.
enum ImageCheck {
  static func problem(_ url: URL) -> String? {
    do { _ = try ImageFile.read(url) } catch { return "\(error)" }
    return nil
  }
}
