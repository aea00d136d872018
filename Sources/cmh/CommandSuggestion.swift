// CommandSuggestion: a mistyped subcommand ("cmh serch") or help topic ("cmh help nonsense") gets
// an error naming the nearest command, before ArgumentParser would answer with a bare
// "Unexpected argument" (or, for help, the top-level page and success).

import ArgumentParser

enum CommandSuggestion {
  /// The error for the first word of `arguments` (the program name left out) that names no
  /// subcommand where one is expected, or nil when every command word is known.
  static func problem(_ arguments: [String], root: ParsableCommand.Type) -> String? {
    var command = root, path = [root._commandName]
    var words = arguments[...]
    let isHelp = words.first == "help"
    if isHelp { words = words.dropFirst() }
    for word in words {
      let subcommands = command.configuration.subcommands
      if word.hasPrefix("-") || subcommands.isEmpty || command.configuration.defaultSubcommand != nil { break }
      guard let next = subcommands.first(where: { $0._commandName == word }) else {
        let names = subcommands.map { $0._commandName }
        let what = isHelp ? "no help topic '\(word)'" : "'\(word)' is not a command of '\(path.joined(separator: " "))'"
        let nearest = names.min { distance(word, $0) < distance(word, $1) }.flatMap { distance(word, $0) <= max(2, word.count / 3) ? $0 : nil }
        return what + (nearest.map { ". Did you mean '\($0)'?" } ?? ".") + " Commands: \(names.joined(separator: ", "))."
      }
      command = next
      path.append(word)
    }
    return nil
  }

  /// Levenshtein distance: insertions, deletions and substitutions.
  static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(1, a.count) where !a.isEmpty {
      var previous = row[0]
      row[0] = i
      for j in stride(from: 1, through: b.count, by: 1) {
        let substitution = previous + (a[i - 1] == b[j - 1] ? 0 : 1)
        previous = row[j]
        row[j] = min(substitution, row[j] + 1, row[j - 1] + 1)
      }
    }
    return a.isEmpty ? b.count : row[b.count]
  }
}
