import GRDB

/// A row record read by column name through `Decodable`: each column is its property's name in snake_case
/// (`publicID` ← `public_id`, `categoryIDs` ← `category_ids`, `rating5based` ← `rating_5based`), so the
/// record declares its properties once and no `init(row:)`. A query aliases its columns to match
/// (`r.stream_icon AS stream_icon`).
///
/// The decoder maps every column name of every row, which costs more per row than a hand-written
/// `init(row:)`: the list rows a request reads 30,000-100,000 of (`get_vod_streams`, `get_series`,
/// `get_live_streams`, the playlist) keep theirs.
public protocol ColumnRecord: Decodable, FetchableRecord {}

extension ColumnRecord {
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy {
        .custom { ColumnName(stringValue: ColumnName.propertyName($0)) }
    }
}

/// The property a column names: the inverse of the admin API's snake_case keys for this project's
/// names, whose acronyms are written in capitals (`ID`, `IDs`, `TMDB`, `SID`, `URL`).
struct ColumnName: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    static let acronyms = ["id": "ID", "ids": "IDs", "tmdb": "TMDB", "sid": "SID", "url": "URL"]

    /// `entry_public_id` → `entryPublicID`; a word after the first starting with a digit is kept (`5based`).
    static func propertyName(_ column: String) -> String {
        let words = column.split(separator: "_", omittingEmptySubsequences: false)
        guard let first = words.first else { return column }
        return words.dropFirst().reduce(String(first)) { name, word in
            name + (acronyms[String(word)] ?? word.prefix(1).uppercased() + word.dropFirst())
        }
    }
}

/// A row of a table of its own (an account, a user), saved and read through `Codable`: its columns are its
/// properties in snake_case both ways (`baseURL` ↔ `base_url`), and it keeps the row id SQLite gives it on insert.
public protocol IdentifiedRecord: ColumnRecord, Encodable, MutablePersistableRecord {
    var id: Int64? { get set }
}

extension IdentifiedRecord {
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
