// cmh corpus import KIND: corpora from the formats benchmarks are passed around in.

import ArgumentParser
import Corpus
import Foundation
import Platform

struct ImportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Import a corpus (kinds: mirflickr25k, iapr-tc12, mat, coco, folder, list).",
    subcommands: [ImportMirflickrCommand.self, ImportIaprCommand.self, ImportMatCommand.self, ImportCocoCommand.self, ImportFolderCommand.self, ImportListCommand.self])

  /// Options every importer shares: where the corpus goes, the split seed, and what to do with bad images.
  struct ImportTarget: ParsableArguments {
    @Option(help: "Output corpus directory.") var out: String
    @Option(help: "Seed of the split (and of COCO's caption choice).") var seed: UInt64 = 1
    @Flag(help: "Leave out pairs whose image is missing or corrupt, and report them.") var skipBad = false
    @OptionGroup var output: OutputOptions

    /// An importer's corpus and summary, checked, split and written.
    func finish(_ imported: (Corpus, ImportSummary)) throws {
      try imported.0.finishImport(imported.1, into: out, seed: seed, skipBad: skipBad, console: output.console)
    }
  }
}

struct ImportCocoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "coco",
    abstract: "Import MS-COCO: instances_*.json (labels), captions_*.json (texts) and the image folders.",
    discussion: "Example: cmh corpus import coco --instances instances_train2014.json --instances instances_val2014.json --captions captions_train2014.json --captions captions_val2014.json --images train2014 --images val2014 --out corpora/coco")

  @Option(help: "instances_*.json (repeat for several).") var instances: [String]
  @Option(help: "captions_*.json (repeat for several).") var captions: [String]
  @Option(help: "Folders holding the images (repeat for several).") var images: [String]
  @Flag(help: "Join all captions of an image instead of choosing one with the seed.") var allCaptions = false
  @Option(help: "Vocabulary size (most frequent words).") var vocabulary = 2000
  @OptionGroup var target: ImportCommand.ImportTarget

  func run() throws {
    var settings = CocoImportSettings(instances: instances.map(URL.init(fileURLWithPath:)), captions: captions.map(URL.init(fileURLWithPath:)),
                                      imageFolders: images.map(URL.init(fileURLWithPath:)))
    settings.allCaptions = allCaptions
    settings.vocabularySize = vocabulary
    settings.seed = target.seed
    try target.finish(try CocoImporter.importCorpus(settings, into: URL(fileURLWithPath: target.out)))
  }
}

struct ImportFolderCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "folder",
    abstract: "Import your own photos (JPEG, PNG, WebP) with optional <photo>.txt captions: label folders, one folder, or a JSON-lines manifest.",
    discussion: """
      Labels come from the folders the photos are in (ROOT/<label>/<photo>.jpg); when the photos are in \
      no label folders, from the \(LabelSource.defaultCaptionWords) words their captions use most (--labels-from-text N to change that \
      number); or from a labels file (--labels FILE: lines "<photo file name><TAB><label>, <label>").

      Examples:
        cmh corpus import folder ~/Pictures/holiday --out corpora/holiday
        cmh corpus import folder photos --labels labels.tsv --out corpora/mine
      """)

  @Argument(help: "The folder of photos (any depth).") var root: String?
  @Option(help: "A JSON-lines manifest of {\"image\", \"text\", \"labels\": [names]} instead of a folder.") var manifest: String?
  @Flag(help: "Mark the manifest's pairs as synthetic (generated elsewhere; used for training only).") var synthetic = false
  @Option(help: "Labels from a file of lines \"<photo file name><TAB><label>, <label>\" instead of label folders.") var labels: String?
  @Option(help: "Labels from the N words the captions use most (default: \(LabelSource.defaultCaptionWords) for photos in no label folders).")
  var labelsFromText: Int?
  @OptionGroup var target: ImportCommand.ImportTarget

  func validate() throws {
    guard (root == nil) != (manifest == nil) else { throw ValidationError("give either a folder of photos or --manifest") }
    guard labels == nil || labelsFromText == nil else { throw ValidationError("give --labels or --labels-from-text, not both") }
    guard manifest == nil || (labels == nil && labelsFromText == nil) else { throw ValidationError("a manifest names its own labels; --labels and --labels-from-text apply to a folder") }
    if let n = labelsFromText, n < 1 { throw ValidationError("--labels-from-text must be at least 1, got \(n)") }
  }

  func run() throws {
    let directory = URL(fileURLWithPath: target.out)
    if let manifest {
      return try target.finish(try FolderImporter.importManifest(URL(fileURLWithPath: manifest), synthetic: synthetic, into: directory))
    }
    let source: LabelSource = labels.map { .file(URL(fileURLWithPath: $0)) } ?? labelsFromText.map { .captions($0) } ?? .automatic
    try target.finish(try FolderImporter.importFolders(URL(fileURLWithPath: root!), labels: source, into: directory))
  }
}

struct ImportListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "Import a list-format collection (Wikipedia): \"<text-id> <image-id> <class>\" lines, a text folder and an image folder.",
    discussion: "Example: cmh corpus import list --list trainset_txt_img_cat.list --list testset_txt_img_cat.list --texts texts --images images --categories categories.list --out corpora/wikipedia")

  @Option(help: "List files (repeat for several, e.g. trainset and testset).") var list: [String]
  @Option(help: "Folder of <text-id>.xml or .txt files.") var texts: String
  @Option(help: "Folder with the <image-id>.jpg files (searched recursively).") var images: String
  @Option(help: "Class names, one per line (class k is line k).") var categories: String?
  @OptionGroup var target: ImportCommand.ImportTarget

  func run() throws {
    var settings = ListImportSettings(lists: list.map(URL.init(fileURLWithPath:)), texts: URL(fileURLWithPath: texts), images: URL(fileURLWithPath: images))
    settings.categories = categories.map(URL.init(fileURLWithPath:))
    try target.finish(try ListImporter.importCorpus(settings, into: URL(fileURLWithPath: target.out)))
  }
}

struct ImportMatCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mat",
    abstract: "Import MATLAB v5 files: a label matrix, a text bag-of-words and optionally image features.",
    discussion: "Variables are named FILE:VARIABLE (defaults LAll, YAll, IAll). Example for MIRFlickr-25K:\n  cmh corpus import mat --labels mirflickr25k-lall.mat --texts mirflickr25k-yall.mat --vocabulary TagList_1386_from_MITH.txt --out corpora/mirflickr25k")

  @Option(help: "Label matrix, n × labels (FILE or FILE:VARIABLE).") var labels: String
  @Option(help: "Text bag-of-words, n × words (FILE or FILE:VARIABLE).") var texts: String
  @Option(help: "Image features, n × d (FILE or FILE:VARIABLE).") var images: String?
  @Option(help: "The text matrix's words, one per line, in column order.") var vocabulary: String?
  @Option(help: "Label names, one per line, in column order.") var labelNames: String?
  @Option(help: "Corpus name (default: the name of the --out folder).") var name: String?
  @OptionGroup var target: ImportCommand.ImportTarget

  func run() throws {
    var settings = MatImportSettings(labels: labels, texts: texts, vocabulary: vocabulary, labelNames: labelNames,
                                     name: name ?? URL(fileURLWithPath: target.out).lastPathComponent)
    if let images { (settings.images, settings.imageVariable) = MatImportSettings.fileAndVariable(images, default: "IAll") }
    settings.hdf5 = HDF5ReadCommand.child
    try target.finish(try MatImporter.importCorpus(settings, into: URL(fileURLWithPath: target.out)))
  }
}

struct ImportMirflickrCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mirflickr25k",
    abstract: "Import MIRFlickr-25K from its official folders or zip files (DCMH protocol: 24 labels, tags in at least 20 images).",
    discussion: "Example: cmh corpus import mirflickr25k --images mirflickr25k.zip --annotations mirflickr25k_annotations_v080.zip --out corpora/mirflickr25k\nZip files are extracted into OUT/source/ first.")

  @Option(help: "The mirflickr/ folder (im1.jpg …, meta/tags/), or the mirflickr25k.zip holding it.") var images: String
  @Option(help: "The annotation folder, or its zip.") var annotations: String
  @Option(help: "Minimum number of images a tag must occur in to be in the vocabulary.") var minTagCount = 20
  @OptionGroup var target: ImportCommand.ImportTarget

  func run() throws {
    let source = URL(fileURLWithPath: target.out).appendingPathComponent("source")
    var settings = MirflickrImportSettings(images: try ArchiveFolder.folder(images, containing: "im1.jpg", extractingInto: source),
                                           annotations: try ArchiveFolder.folder(annotations, containing: "animals.txt", extractingInto: source))
    settings.minimumTagCount = minTagCount
    try target.finish(try MirflickrImporter.importCorpus(settings))
  }
}

struct ImportIaprCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "iapr-tc12",
    abstract: "Import IAPR TC-12: images/ and annotations_complete_eng/ (descriptions as texts), labels from a file you name.",
    discussion: """
      The label file has one line per image: "<image number> <label> [<label> …]" (the DCMH protocol uses 255 concepts).

      Example: cmh corpus import iapr-tc12 iaprtc12.zip --labels iapr-labels.txt --out corpora/iapr-tc12
      """)

  @Argument(help: "The IAPR TC-12 folder (images/, annotations_complete_eng/), or its zip.") var root: String
  @Option(help: "Label file: \"<image number> <label> …\" lines.") var labels: String
  @OptionGroup var target: ImportCommand.ImportTarget

  func run() throws {
    let folder = try ArchiveFolder.folder(root, containing: "annotations_complete_eng", extractingInto: URL(fileURLWithPath: target.out).appendingPathComponent("source"))
    try target.finish(try IaprImporter.importCorpus(IaprImportSettings(root: folder, labels: URL(fileURLWithPath: labels))))
  }
}
