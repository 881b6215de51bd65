import GRDB

/// One entry of a title as the admin catalog lists it: a variant clients see under its own id (in the
/// `all` view), with every provider copy it merges.
public struct AdminVariant: Sendable, Encodable, Equatable {
    /// The entry's public id.
    public var id: Int64
    /// `VariantKey.key`, e.g. `2160p|` or `|FR`.
    public var key: String
    public var quality: String
    /// Null when the variant has no language tag.
    @Nullable public var language: String?
    /// The served relation's provider name (else the first copy's).
    public var name: String
    public var served: Bool
    public var relations: [AdminRelation]
}

extension Store {
    /// Every relation of one movie or series entry, in admission order.
    static func entryRelations(_ kind: CatalogKind, entryID: Int64, db: Database) throws -> [AdminRelation] {
        if kind == .movie {
            return try Row.fetchAll(db, sql: """
                SELECT \(relationColumns(providerID: "r.stream_id", served: "r.id = m.preferred_relation_id"))
                FROM movie_relation r JOIN account a ON a.id = r.account_id JOIN movie m ON m.id = r.movie_id
                WHERE r.movie_id = ? ORDER BY \(AdmissionOrder.sql()), r.id
                """, arguments: [entryID]).map { relation(.movie, $0) }
        }
        return try Row.fetchAll(db, sql: """
            SELECT \(relationColumns(providerID: "r.provider_series_id", containerExtension: "NULL", served: "r.id IS s.preferred_relation_id"))
            FROM series_relation r JOIN account a ON a.id = r.account_id JOIN series s ON s.id = r.series_id
            WHERE r.series_id = ? ORDER BY \(AdmissionOrder.sql()), r.id
            """, arguments: [entryID]).map { relation(.series, $0) }
    }

    /// Every entry of the title that entry `entryID` belongs to, by row id (the oldest entry first).
    static func variants(_ kind: CatalogKind, entryID: Int64, db: Database) throws -> [AdminVariant] {
        let table = kind == .series ? "series" : "movie"
        return try Row.fetchAll(db, sql: """
            SELECT t.id AS id, t.public_id AS public_id, t.variant_key AS variant_key, t.quality AS quality,
                   t.language AS language, t.preferred_relation_id IS NOT NULL AS served
            FROM \(table) t WHERE t.title_id = (SELECT title_id FROM \(table) WHERE id = ?) ORDER BY t.id
            """, arguments: [entryID]).map { row in
            let relations = try entryRelations(kind, entryID: row["id"], db: db)
            let language: String = row["language"]
            return AdminVariant(
                id: row["public_id"], key: row["variant_key"], quality: row["quality"], language: language.isEmpty ? nil : language,
                name: (relations.first(where: \.served) ?? relations.first)?.name ?? "", served: row["served"], relations: relations)
        }
    }
}
