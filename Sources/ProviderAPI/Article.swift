/// The indefinite article before a name in a message: `an int`, `a string`, `an A record`,
/// `a CNAME record`. Every message that puts an article before a type name builds it here, so
/// none says "a int".
public enum Article {
    /// Letters whose spoken name starts with a vowel sound (`an MX`, `an SRV`), for acronyms.
    static let vowelSoundLetters: Set<Character> = ["A", "E", "F", "H", "I", "L", "M", "N", "O", "R", "S", "X"]

    /// `word` with `a` or `an` before it. An all-capitals word is read letter by letter (`an NS
    /// record`); any other word by its first letter (`an int`, `an any`, `a double`).
    public static func indefinite(_ word: String) -> String {
        guard let first = word.first else { return word }
        let isAcronym = word.allSatisfy { $0.isUppercase || $0.isNumber } && first.isLetter
        let an = isAcronym ? vowelSoundLetters.contains(first) : "aeiouAEIOU".contains(first)
        return (an ? "an " : "a ") + word
    }
}

extension AttributeType {
    /// The type's name with its article, for messages: `an int`, `a string`, `a map`.
    public var withArticle: String { Article.indefinite(rawValue) }
}
