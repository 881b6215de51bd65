/// An optional the admin API always writes: `null` when absent, never a left-out key. Synthesized
/// `Encodable` skips nil optionals (`encodeIfPresent`); the OpenAPI contract promises every documented
/// key is there, so the answers mark their optionals `@Nullable` instead of hand-writing `encode(to:)`.
@propertyWrapper
public struct Nullable<Value: Encodable>: Encodable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension Nullable: Equatable where Value: Equatable {}
extension Nullable: Sendable where Value: Sendable {}
