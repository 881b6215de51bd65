import XCModels

/// Re-encodes a provider value as compact JSON with sorted keys, so the same value always gives the same
/// bytes (the content hash of an episode depends on it). Strings and numbers are written by the same
/// `JSONWriter` the XC answers use, so there is one JSON escaper in the client and server.
extension ProviderValue {
    public var jsonText: String {
        var json = JSONWriter(capacity: 256)
        write(to: &json)
        return String(decoding: json.bytes, as: UTF8.self)
    }

    func write(to json: inout JSONWriter) {
        switch self {
        case .null: json.raw("null")
        case .bool(let value): json.bool(value)
        case .number(let value): json.double(value)
        case .string(let value): json.string(value)
        case .array(let values):
            json.beginArray()
            for value in values { value.write(to: &json) }
            json.endArray()
        case .object(let fields):
            json.beginObject()
            for key in fields.keys.sorted() {
                json.dynamicKey(key)
                fields[key]!.write(to: &json)
            }
            json.endObject()
        }
    }
}
