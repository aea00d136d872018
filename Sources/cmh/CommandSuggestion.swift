// CommandSuggestion: a mistyped command ("cmh serch") gets the nearest one named, before
// ArgumentParser answers with a bare "Unexpected argument".

import ArgumentParser
import Platform

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
        let nearest = NearestName.closest(to: word, among: names)
        return what + (nearest.map { ". Did you mean '\($0)'?" } ?? ".") + " Commands: \(names.joined(separator: ", "))."
      }
      command = next
      path.append(word)
    }
    return nil
  }
}
