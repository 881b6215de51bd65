import ArgumentParser

/// Range checks for numeric options, run from the commands' `validate()`: a value the program
/// would silently bend (a port of 99999 wraps to 34463, a concurrency of 0 becomes 1) is refused
/// instead, with a sentence naming the option, what it accepts and what it got.
enum OptionChecks {
    static func port(_ value: Int?, _ option: String) throws {
        guard let value else { return }
        guard (1...65535).contains(value) else {
            throw ValidationError("\(option) must be a TCP port from 1 to 65535, not \(value)")
        }
    }

    static func atLeast(_ minimum: Int, _ value: Int?, _ option: String) throws {
        guard let value else { return }
        guard value >= minimum else { throw ValidationError("\(option) must be at least \(minimum), not \(value)") }
    }

    /// A finite number of zero or more (`meaning` says what 0 does, when it does something special).
    static func nonNegative(_ value: Double, _ option: String, zeroMeans meaning: String? = nil) throws {
        guard value.isFinite, value >= 0 else {
            throw ValidationError("\(option) must be 0 or more\(meaning.map { " (0 \($0))" } ?? ""), not \(value)")
        }
    }
}
