// IndexItems: what an index shows for each pair of a corpus — the image path (absolute) or the
// text, and the label names — as `cmh encode` and `cmh demo` write it.

import Corpus
import Hashing

public enum IndexItems {
  public static func of(_ corpus: Corpus, _ pairs: [Int], modality: Modality) -> [IndexItem] {
    pairs.map { i in
      let pair = corpus.pairs[i]
      let display = modality == .image ? (corpus.imageURL(pair)?.path ?? "") : (pair.text ?? "")
      return IndexItem(id: pair.id, display: display, labels: pair.labels.map { corpus.info.labels[$0] })
    }
  }
}
