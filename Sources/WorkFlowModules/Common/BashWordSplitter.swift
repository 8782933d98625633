/// Splits a command line into words the way a POSIX shell quotes them, without expanding
/// anything: `shell: false` with a string `cmd` runs the program directly, so `$HOME`, globs
/// and `;` stay literal text.
///
/// - Whitespace (space, tab, newline, CRLF) separates words outside quotes.
/// - `'...'` keeps everything literally up to the next `'`.
/// - `"..."` keeps everything literally except `\` before `$`, `` ` ``, `"`, `\` or a newline.
/// - `\` outside quotes keeps the next character literally; `\` before a newline joins lines.
/// - `''` and `""` make an empty word.
enum BashWordSplitter {
    /// Why a command line could not be split.
    enum SplitError: Error, Equatable, CustomStringConvertible {
        case unterminatedSingleQuote
        case unterminatedDoubleQuote
        case trailingBackslash

        var description: String {
            switch self {
            case .unterminatedSingleQuote: "has an unterminated single quote"
            case .unterminatedDoubleQuote: "has an unterminated double quote"
            case .trailingBackslash: "ends with a lone backslash"
            }
        }
    }

    static func split(_ line: String) throws(SplitError) -> [String] {
        var words: [String] = []
        var word = ""
        // A word exists once quoting or a character started it, so `''` yields an empty word.
        var inWord = false
        var characters = line.makeIterator()

        while let c = characters.next() {
            switch c {
            case " ", "\t", "\n", "\r\n":
                if inWord {
                    words.append(word)
                    word = ""
                    inWord = false
                }
            case "'":
                inWord = true
                var closed = false
                while let q = characters.next() {
                    if q == "'" {
                        closed = true
                        break
                    }
                    word.append(q)
                }
                if !closed { throw .unterminatedSingleQuote }
            case "\"":
                inWord = true
                var closed = false
                while let q = characters.next() {
                    if q == "\"" {
                        closed = true
                        break
                    }
                    if q == "\\" {
                        guard let escaped = characters.next() else { break }
                        switch escaped {
                        case "$", "`", "\"", "\\": word.append(escaped)
                        case "\n": break
                        default:
                            word.append("\\")
                            word.append(escaped)
                        }
                        continue
                    }
                    word.append(q)
                }
                if !closed { throw .unterminatedDoubleQuote }
            case "\\":
                guard let escaped = characters.next() else { throw .trailingBackslash }
                if escaped != "\n" {
                    word.append(escaped)
                    inWord = true
                }
            default:
                word.append(c)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
