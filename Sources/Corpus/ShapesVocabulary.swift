// ShapesVocabulary: the concepts of the built-in synthetic corpus — 8 shapes, 8 colours and
// 8 scenes, 24 labels like MIRFlickr's — and the words a text may use for each.

enum ShapesVocabulary {
  static let shapes = ["circle", "square", "triangle", "star", "cross", "ring", "diamond", "hexagon"]
  static let colours = ["red", "green", "blue", "yellow", "purple", "orange", "white", "cyan"]
  static let scenes = ["night", "sky", "grass", "water", "sand", "stripes", "dots", "plain"]
  static var labels: [String] { shapes + colours + scenes }
  static var kinds: [String] { shapes.map { _ in "shape" } + colours.map { _ in "colour" } + scenes.map { _ in "scene" } }

  static let rgb: [(UInt8, UInt8, UInt8)] = [
    (220, 40, 40), (40, 170, 60), (40, 80, 220), (240, 220, 40), (140, 50, 170), (245, 140, 30), (245, 245, 245), (40, 210, 220),
  ]

  /// Synonyms a caption may use for each label, in label order.
  static let synonyms: [[String]] = [
    ["circle", "disc", "round shape", "dot"], ["square", "box", "block"], ["triangle", "wedge"], ["star", "starlike shape"],
    ["cross", "plus sign", "plus"], ["ring", "hoop", "donut"], ["diamond", "rhombus", "lozenge"], ["hexagon", "six sided shape"],
    ["red", "crimson", "scarlet"], ["green", "emerald"], ["blue", "navy", "azure"], ["yellow", "golden", "lemon"],
    ["purple", "violet", "lilac"], ["orange", "amber"], ["white", "snowy", "pale"], ["cyan", "turquoise", "teal"],
    ["at night", "in the dark", "under a night sky"], ["against the sky", "in the clouds", "under a blue sky"],
    ["on the grass", "on a lawn", "in a meadow"], ["on the water", "at sea", "on a lake"],
    ["on the sand", "on a beach", "in the desert"], ["on stripes", "on a striped wall", "over stripes"],
    ["on dots", "on a dotted cloth", "over polka dots"], ["on a plain background", "on a bare wall", "on grey"],
  ]

  /// Tags (one token each) for the tag text mode.
  static let tagWords: [[String]] = [
    ["circle", "disc", "round"], ["square", "box"], ["triangle", "wedge"], ["star", "stars"], ["cross", "plus"],
    ["ring", "hoop"], ["diamond", "rhombus"], ["hexagon", "hex"], ["red", "crimson"], ["green", "emerald"],
    ["blue", "navy"], ["yellow", "gold"], ["purple", "violet"], ["orange", "amber"], ["white", "snow"], ["cyan", "teal"],
    ["night", "dark"], ["sky", "clouds"], ["grass", "lawn"], ["water", "sea"], ["sand", "beach"], ["stripes", "striped"],
    ["dots", "dotted"], ["plain", "minimal"],
  ]

  static let fillerTags = ["photo", "nikon", "canon", "2007", "explore", "art", "abstract", "color", "light", "design", "shape", "picture"]
  static let openers = ["a", "one", "a single", "a small", "a large", "a bright"]
  static let joiners = ["and", "next to", "beside", "with", "near"]
  static let lead = ["", "", "", "photo of ", "a picture showing ", "here is ", "look: "]
}
